/* The descriptor of a plugin initialised positionally in ABI 2's order but
 * without required_features: create lands in required_features, destroy in
 * create, ..., and set is NULL. The loader must say that the fields look
 * shifted, not only that set is missing. */
#include "shifted_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    FIBD_CACHE_ABI_VERSION,
    sizeof(fibd_cache_descriptor),
    "shifted_no_required_features",
    "1.0",
    "required_features left out of a positional initializer",
    0,
    stub_create,
    stub_destroy,
    stub_get_not_found,
    stub_set_ok,
    NULL,
    shifted_del,
    shifted_clear,
    shifted_stats,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
