/* The descriptor of a synchronous plugin initialised positionally in the
 * field order of ABI 1 (no cancel between set and del), against the ABI 2
 * header: del lands in cancel, clear in del, stats in clear. It compiles
 * with warnings only; the loader must refuse it, saying why, and
 * fibd-plugin-check must never run stats() as clear(). */
#include "shifted_entry_points.h"

static const fibd_cache_descriptor descriptor = {
    FIBD_CACHE_ABI_VERSION,
    sizeof(fibd_cache_descriptor),
    "shifted_no_cancel",
    "1.0",
    "ABI 1 field order in an ABI 2 build",
    0,
    0,
    stub_create,
    stub_destroy,
    stub_get_not_found,
    stub_set_ok,
    shifted_del,
    shifted_clear,
    shifted_stats,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
