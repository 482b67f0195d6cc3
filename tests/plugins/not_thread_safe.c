/* Claims no capability, and fails any call that overlaps another one: the
 * host must serialise its calls. */
#include <stdio.h>
#include <time.h>

#include "stub_entry_points.h"

static int busy; /* accessed with __atomic builtins only */

static int enter(char* err, size_t err_len) {
  struct timespec pause = {0, 20000}; /* widen the window for overlaps */
  if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQ_REL) != 0) {
    snprintf(err, err_len, "concurrent call on a plugin that is not thread-safe");
    return 0;
  }
  nanosleep(&pause, NULL);
  return 1;
}
static void leave(void) { __atomic_store_n(&busy, 0, __ATOMIC_RELEASE); }

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  (void)instance, (void)key, (void)key_len, (void)sink;
  if (!enter(err, err_len)) return FIBD_CACHE_ERROR;
  leave();
  return FIBD_CACHE_NOT_FOUND;
}
static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  (void)instance, (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms;
  if (!enter(err, err_len)) return FIBD_CACHE_ERROR;
  leave();
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "not_thread_safe",
    .version = "1.0",
    .create = stub_create,
    .destroy = stub_destroy,
    .get = get,
    .set = set,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
