/* Pins itself in memory (RTLD_NODELETE), as STB_GNU_UNIQUE symbols would:
 * the host must notice that dlclose() left it loaded. */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <stdio.h>

#include "stub_entry_points.h"

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void);

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  Dl_info info;
  void* self;
  (void)host, (void)config;
  if (dladdr((void*)&fibd_cache_plugin, &info) == 0 || info.dli_fname == NULL) {
    snprintf(err, err_len, "dladdr failed");
    return NULL;
  }
  self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (self == NULL) {
    snprintf(err, err_len, "cannot pin %s: %s", info.dli_fname, dlerror());
    return NULL;
  }
  dlclose(self);
  return (fibd_cache_instance*)&stub_instance_tag;
}
static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "pinned",
    .version = "1.0",
    .create = create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
