/* create() fails with its own message, which the loader must pass on. */
#include <stdio.h>

#include "stub_entry_points.h"

static void* create(const fibd_cache_host* host, const fibd_cache_config* config,
                    char* err, size_t err_len) {
  (void)host, (void)config;
  snprintf(err, err_len, "cannot reach backend 192.0.2.1:6379: connection refused");
  return NULL;
}

static const fibd_cache_descriptor descriptor = {FIBD_CACHE_ABI_VERSION,
                                                 sizeof(fibd_cache_descriptor),
                                                 "create_fails",
                                                 "1.0",
                                                 NULL,
                                                 0,
                                                 create,
                                                 stub_destroy,
                                                 stub_get_not_found,
                                                 stub_set_ok,
                                                 NULL,
                                                 NULL,
                                                 NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
