/* The optional entry points of the shifted-descriptor test plugins. Each
 * writes its name into err, so that a call through the wrong slot would show. */
#ifndef FIBD_TEST_SHIFTED_ENTRY_POINTS_H
#define FIBD_TEST_SHIFTED_ENTRY_POINTS_H

#include <stdio.h>

#include "stub_entry_points.h"

/* A shifted positional initializer compiles with warnings only: these. */
#pragma GCC diagnostic ignored "-Wincompatible-pointer-types"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wint-conversion"
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wincompatible-function-pointer-types"
#endif

static inline fibd_cache_status shifted_del(fibd_cache_instance* instance,
                                            const fibd_cache_call* call, const void* key,
                                            size_t key_len, char* err, size_t err_len) {
  (void)instance, (void)call, (void)key, (void)key_len;
  snprintf(err, err_len, "del");
  return FIBD_CACHE_NOT_FOUND;
}
static inline fibd_cache_status shifted_clear(fibd_cache_instance* instance,
                                              const fibd_cache_call* call, char* err,
                                              size_t err_len) {
  (void)instance, (void)call;
  snprintf(err, err_len, "clear");
  return FIBD_CACHE_OK;
}
/* Called as clear(), `sink` is the call context: sink->put is garbage. */
static inline fibd_cache_status shifted_stats(fibd_cache_instance* instance,
                                              const fibd_cache_stats_sink* sink,
                                              char* err, size_t err_len) {
  (void)instance, (void)err, (void)err_len;
  sink->put(sink->ctx, "entries", 0);
  return FIBD_CACHE_OK;
}

#endif /* FIBD_TEST_SHIFTED_ENTRY_POINTS_H */
