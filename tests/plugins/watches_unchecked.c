/* Calls host->watch_new in create() without testing struct_size: fine on a
 * host that has watches, wrong on the oldest version 2 host, where
 * fibd-plugin-check --oldest-host must fail it. */
#include <string.h>

#include "stub_entry_points.h"

static void on_event(void* arg, uint32_t events) { (void)arg, (void)events; }

static fibd_cache_instance* unchecked_create(const fibd_cache_host* host,
                                             const fibd_cache_config* config, char* err,
                                             size_t err_len) {
  /* No loop here, so a host with watches answers NULL. */
  if (host->watch_new(host->ctx, NULL, -1, on_event, NULL) != NULL) {
    strncpy(err, "watch_new off a loop's thread gave a watch", err_len - 1);
    return NULL;
  }
  return stub_create(host, config, err, err_len);
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "watches_unchecked",
    .version = "1.0",
    .create = unchecked_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
