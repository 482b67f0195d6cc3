/* Requires FIBD_CACHE_FEATURE_ASYNC but offers no cancel(): the loader must refuse it. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "async_without_cancel",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE,
    .required_features = FIBD_CACHE_FEATURE_ASYNC,
    .create = stub_create_null,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
