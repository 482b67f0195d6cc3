/* create() fails with its own message, which the loader must pass on. */
#include <stdio.h>

#include "stub_entry_points.h"

static fibd_cache_instance* create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  (void)host, (void)config;
  snprintf(err, err_len, "cannot reach backend 192.0.2.1:6379: connection refused");
  return NULL;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "create_fails",
    .version = "1.0",
    .create = create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
