/* A plugin built for a future ABI: the loader must refuse it, naming both
 * versions. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = 999u,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "wrong_abi",
    .version = "1.0",
    .create = stub_create_null,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
