/* A descriptor without the required get entry point. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {FIBD_CACHE_ABI_VERSION,
                                                 sizeof(fibd_cache_descriptor),
                                                 "missing_entry",
                                                 "1.0",
                                                 NULL,
                                                 0,
                                                 stub_create_null,
                                                 stub_destroy,
                                                 NULL,
                                                 stub_set_ok,
                                                 NULL,
                                                 NULL,
                                                 NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
