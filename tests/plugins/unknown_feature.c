/* Requires an incompatible feature this fibd does not know: the loader must refuse it,
 * naming the bits. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "unknown_feature",
    .version = "1.0",
    .required_features = (uint64_t)1u << 63,
    .create = stub_create_null,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
