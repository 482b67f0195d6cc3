/* The do-nothing entry points the test plugins share, so that each plugin
 * file holds only the one defect it exists to show. `static inline`: a plugin
 * that does not use one of them gets no unused-function warning. */
#ifndef FIBD_TEST_STUB_ENTRY_POINTS_H
#define FIBD_TEST_STUB_ENTRY_POINTS_H

#include <fibd/cache_plugin.h>
#include <stddef.h>

static int stub_instance_tag;

/* create() that always succeeds with a static instance. */
static inline fibd_cache_instance* stub_create(const fibd_cache_host* host,
                                               const fibd_cache_config* config, char* err,
                                               size_t err_len) {
  (void)host, (void)config, (void)err, (void)err_len;
  return (fibd_cache_instance*)&stub_instance_tag;
}
/* create() that fails without a message (for plugins the loader must refuse
 * before it ever calls create()). */
static inline fibd_cache_instance* stub_create_null(const fibd_cache_host* host,
                                                    const fibd_cache_config* config,
                                                    char* err, size_t err_len) {
  (void)host, (void)config, (void)err, (void)err_len;
  return NULL;
}
static inline void stub_destroy(fibd_cache_instance* instance) { (void)instance; }
static inline fibd_cache_status stub_get_not_found(fibd_cache_instance* instance,
                                                   const fibd_cache_call* call,
                                                   const void* key, size_t key_len,
                                                   const fibd_cache_sink* sink, char* err,
                                                   size_t err_len) {
  (void)call;
  (void)instance, (void)key, (void)key_len, (void)sink, (void)err, (void)err_len;
  return FIBD_CACHE_NOT_FOUND;
}
static inline fibd_cache_status stub_set_ok(fibd_cache_instance* instance,
                                            const fibd_cache_call* call, const void* key,
                                            size_t key_len, const void* value,
                                            size_t value_len, uint64_t ttl_ms, char* err,
                                            size_t err_len) {
  (void)call;
  (void)instance, (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms,
      (void)err, (void)err_len;
  return FIBD_CACHE_OK;
}

#endif /* FIBD_TEST_STUB_ENTRY_POINTS_H */
