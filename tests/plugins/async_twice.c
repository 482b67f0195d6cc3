/* An async plugin that completes every call twice (before returning
 * PENDING, on the calling thread): fibd-plugin-check must fail it. */
#include "stub_entry_points.h"

static fibd_cache_status get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)sink, (void)err, (void)err_len;
  call->completion->complete(call->completion->ctx, FIBD_CACHE_NOT_FOUND, NULL, 0, NULL);
  call->completion->complete(call->completion->ctx, FIBD_CACHE_NOT_FOUND, NULL, 0, NULL);
  return FIBD_CACHE_PENDING;
}
static fibd_cache_status set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  (void)instance, (void)key, (void)key_len, (void)value, (void)value_len, (void)ttl_ms,
      (void)err, (void)err_len;
  call->completion->complete(call->completion->ctx, FIBD_CACHE_OK, NULL, 0, NULL);
  call->completion->complete(call->completion->ctx, FIBD_CACHE_OK, NULL, 0, NULL);
  return FIBD_CACHE_PENDING;
}
static void cancel(fibd_cache_instance* instance, uint64_t call_id) {
  (void)instance, (void)call_id;
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "async_twice",
    .version = "1.0",
    .capabilities = FIBD_CACHE_CAP_THREAD_SAFE,
    .required_features = FIBD_CACHE_FEATURE_ASYNC,
    .create = stub_create,
    .destroy = stub_destroy,
    .get = get,
    .set = set,
    .cancel = cancel,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
