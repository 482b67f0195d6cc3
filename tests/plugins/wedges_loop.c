/* A plugin that declares itself non-blocking, so fibd calls get() on its
 * event loops, and then blocks forever in get() for the key "13": the loop
 * that asked is wedged. The watchdog test kills fibd with SIGKILL. Other
 * keys miss. */
#include <string.h>
#include <time.h>

#include "stub_entry_points.h"

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  if (key_len == 2 && memcmp(key, "13", 2) == 0) {
    const struct timespec hour = {3600, 0};
    for (;;) nanosleep(&hour, NULL);
  }
  return stub_get_not_found(instance, call, key, key_len, sink, err, err_len);
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "wedges_loop",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING,
    .create = stub_create,
    .destroy = stub_destroy,
    .get = get,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) { return &descriptor; }
