/* NON_BLOCKING without THREAD_SAFE: the loader must refuse it (one lock across every
 * event loop). */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "nonblocking_unsafe",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_NON_BLOCKING,
    .create = stub_create_null,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
