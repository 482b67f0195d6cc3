/* Exports its factory under another name than fibd_cache_plugin. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "custom_factory",
    .version = "1.0",
    .create = stub_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* my_cache_factory(void) {
  return &descriptor;
}
