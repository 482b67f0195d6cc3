/* A factory that returns NULL. */
#include <fibd/cache_plugin.h>
#include <stddef.h>

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) { return NULL; }
