/* Reads its options as config->options[i], the mistake the header warns of:
 * right only while option_size == sizeof(fibd_cache_option). fibd-plugin-check
 * hands options further apart, and must fail it. Takes options a and b. */
#include <string.h>

#include "stub_entry_points.h"

static fibd_cache_instance* indexed_create(const fibd_cache_host* host,
                                           const fibd_cache_config* config, char* err,
                                           size_t err_len) {
  uint64_t i;
  (void)host;
  for (i = 0; i < config->option_count; ++i) {
    const char* key = config->options[i].key; /* wrong: ignores option_size */
    if (strcmp(key, "a") != 0 && strcmp(key, "b") != 0) {
      strncpy(err, "unknown option", err_len - 1);
      return NULL;
    }
  }
  return stub_create(host, config, err, err_len);
}

static const fibd_cache_descriptor descriptor = {
    .abi_version = FIBD_CACHE_ABI_VERSION,
    .struct_size = sizeof(fibd_cache_descriptor),
    .name = "options_indexed",
    .version = "1.0",
    .create = indexed_create,
    .destroy = stub_destroy,
    .get = stub_get_not_found,
    .set = stub_set_ok,
};

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &descriptor;
}
