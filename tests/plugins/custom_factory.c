/* Exports its factory under another name than fibd_cache_plugin. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {FIBD_CACHE_ABI_VERSION,
                                                 sizeof(fibd_cache_descriptor),
                                                 "custom_factory",
                                                 "1.0",
                                                 NULL,
                                                 0,
                                                 stub_create,
                                                 stub_destroy,
                                                 stub_get_not_found,
                                                 stub_set_ok,
                                                 NULL,
                                                 NULL,
                                                 NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* my_cache_factory(void) {
  return &descriptor;
}
