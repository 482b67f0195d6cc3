/* Exports its factory under another name than fibd_cache_plugin. */
#include <fibd/cache_plugin.h>

#include <stddef.h>

static int instance_tag;

static void *create(const fibd_cache_host *host, const fibd_cache_config *config,
                    char *err, size_t err_len) {
  (void)host, (void)config, (void)err, (void)err_len;
  return &instance_tag;
}
static void destroy(void *instance) { (void)instance; }
static fibd_cache_status get(void *instance, const void *key, size_t key_len,
                             const fibd_cache_sink *sink, char *err, size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)sink, (void)err, (void)err_len;
  return FIBD_CACHE_NOT_FOUND;
}
static fibd_cache_status set(void *instance, const void *key, size_t key_len,
                             const void *value, size_t value_len, uint64_t ttl_ms,
                             char *err, size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms,
      (void)err, (void)err_len;
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    FIBD_CACHE_ABI_VERSION, sizeof(fibd_cache_descriptor), "custom_factory", "1.0", NULL, 0,
    create, destroy, get, set, NULL, NULL, NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor *my_cache_factory(void) { return &descriptor; }
