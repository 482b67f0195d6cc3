/* A tiny shared object whose one exported function takes every structure of
 * <fibd/cache_plugin.h>, so that abidw's description of it is the header's
 * ABI (tests/abi/check-abi compares it with the recorded baseline). */
#include <fibd/cache_plugin.h>

FIBD_CACHE_VISIBLE uint64_t
fibd_abi_probe(const fibd_cache_descriptor* descriptor, const fibd_cache_host* host,
               const fibd_cache_config* config, const fibd_cache_option* option,
               const fibd_cache_call* call, const fibd_cache_completion* completion,
               const fibd_cache_sink* sink, const fibd_cache_stats_sink* stats_sink,
               fibd_cache_factory_fn factory, fibd_cache_status status,
               fibd_cache_log_level level, fibd_cache_metric_kind kind);

FIBD_CACHE_VISIBLE uint64_t
fibd_abi_probe(const fibd_cache_descriptor* descriptor, const fibd_cache_host* host,
               const fibd_cache_config* config, const fibd_cache_option* option,
               const fibd_cache_call* call, const fibd_cache_completion* completion,
               const fibd_cache_sink* sink, const fibd_cache_stats_sink* stats_sink,
               fibd_cache_factory_fn factory, fibd_cache_status status,
               fibd_cache_log_level level, fibd_cache_metric_kind kind) {
  return (uint64_t)(descriptor != 0) + (host != 0) + (config != 0) + (option != 0) +
         (call != 0) + (completion != 0) + (sink != 0) + (stats_sink != 0) +
         (factory != 0) + status + level + kind;
}
