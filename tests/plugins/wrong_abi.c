/* A plugin built for a future ABI: the loader must refuse it, naming both
 * versions. */
#include "stub_entry_points.h"

static const fibd_cache_descriptor descriptor = {999u,
                                                 sizeof(fibd_cache_descriptor),
                                                 "wrong_abi",
                                                 "1.0",
                                                 NULL,
                                                 0,
                                                 stub_create_null,
                                                 stub_destroy,
                                                 stub_get_not_found,
                                                 stub_set_ok,
                                                 NULL,
                                                 NULL,
                                                 NULL};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
