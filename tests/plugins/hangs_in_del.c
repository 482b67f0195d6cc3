/* A plugin whose del() never returns: fibd-plugin-check must give up on the
 * delete check after --timeout, naming del(), and go on. */
#include <unistd.h>

#include "stub_entry_points.h"

static fibd_cache_status hanging_del(fibd_cache_instance* instance,
                                     const fibd_cache_call* call, const void* key,
                                     size_t key_len, char* err, size_t err_len) {
  (void)instance, (void)call, (void)key, (void)key_len, (void)err, (void)err_len;
  for (;;) pause();
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "hangs_in_del",
    .version = "1.0",
    .create = stub_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
    .del = hanging_del,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
