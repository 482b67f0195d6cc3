/* One function in two slots of the descriptor (del's function also as
 * clear, through a cast): fibd-plugin-check must flag it. */
#include "shifted_entry_points.h"

typedef fibd_cache_status (*clear_fn)(fibd_cache_instance*, const fibd_cache_call*, char*,
                                      size_t);

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "same_function_twice",
    .version = "1.0",
    .create = stub_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
    .del = shifted_del,
    .clear = (clear_fn)(void (*)(void))shifted_del,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
