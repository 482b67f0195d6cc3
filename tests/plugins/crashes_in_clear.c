/* A plugin whose clear() crashes: fibd-plugin-check must fail the clear
 * check, naming clear(), and go on with the checks after it. */
#include <signal.h>

#include "stub_entry_points.h"

static fibd_cache_status crashing_clear(fibd_cache_instance* instance,
                                        const fibd_cache_call* call, char* err,
                                        size_t err_len) {
  (void)instance, (void)call, (void)err, (void)err_len;
  raise(SIGSEGV);
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "crashes_in_clear",
    .version = "1.0",
    .create = stub_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
    .clear = crashing_clear,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
