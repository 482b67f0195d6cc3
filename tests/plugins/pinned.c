/* Pins itself in memory (RTLD_NODELETE), as STB_GNU_UNIQUE symbols would:
 * the host must notice that dlclose() left it loaded. */
#define _GNU_SOURCE
#include <fibd/cache_plugin.h>

#include <dlfcn.h>
#include <stdio.h>

static int instance_tag;

FIBD_CACHE_EXPORT const fibd_cache_descriptor *fibd_cache_plugin(void);

static void *create(const fibd_cache_host *host, const fibd_cache_config *config,
                    char *err, size_t err_len) {
  Dl_info info;
  void *self;
  (void)host, (void)config;
  if (dladdr((void *)&fibd_cache_plugin, &info) == 0 || info.dli_fname == NULL) {
    snprintf(err, err_len, "dladdr failed");
    return NULL;
  }
  self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (self == NULL) {
    snprintf(err, err_len, "cannot pin %s: %s", info.dli_fname, dlerror());
    return NULL;
  }
  dlclose(self);
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
    FIBD_CACHE_ABI_VERSION, sizeof(fibd_cache_descriptor), "pinned", "1.0", NULL, 0,
    create, destroy, get, set, NULL, NULL, NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor *fibd_cache_plugin(void) { return &descriptor; }
