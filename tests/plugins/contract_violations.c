/* get()/set() that break the sink and status rules, one per key:
 *   "nohit"          HIT without calling put()
 *   "twice"          put() twice, then HIT
 *   "put_then_miss"  put(), then NOT_FOUND
 *   "status"         get returns 42, set returns 7
 * Any other key: NOT_FOUND / OK. */
#include <string.h>

#include "stub_entry_points.h"

static int is(const void* key, size_t key_len, const char* want) {
  return key_len == strlen(want) && memcmp(key, want, key_len) == 0;
}
static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)call;
  (void)instance, (void)err, (void)err_len;
  if (is(key, key_len, "nohit")) return FIBD_CACHE_HIT;
  if (is(key, key_len, "twice")) {
    sink->put(sink->ctx, "one", 3);
    sink->put(sink->ctx, "two", 3);
    return FIBD_CACHE_HIT;
  }
  if (is(key, key_len, "put_then_miss")) {
    sink->put(sink->ctx, "x", 1);
    return FIBD_CACHE_NOT_FOUND;
  }
  if (is(key, key_len, "status")) return (fibd_cache_status)42;
  return FIBD_CACHE_NOT_FOUND;
}
static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)call;
  (void)instance, (void)value, (void)value_len, (void)ttl_ms, (void)err, (void)err_len;
  if (is(key, key_len, "status")) return (fibd_cache_status)7;
  return FIBD_CACHE_OK;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "contract_violations",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE,
    .create = stub_create,
    .destroy = stub_destroy,
    .get = get,
    .set = set,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
