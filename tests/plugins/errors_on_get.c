/* Every get() fails with a message; set() succeeds. */
#include <stdio.h>

#include "stub_entry_points.h"

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  (void)instance, (void)key, (void)key_len, (void)sink;
  snprintf(err, err_len, "backend timed out after 50 ms");
  return FIBD_CACHE_ERROR;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "errors_on_get",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .create = stub_create,
    .destroy = stub_destroy,
    .get = get,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
