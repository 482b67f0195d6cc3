/* A descriptor without the required get entry point. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "missing_entry",
    .version = "1.0",
    .create = stub_create_null,
    .destroy = stub_destroy,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
