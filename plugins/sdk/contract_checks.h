// The contract checks fibd-plugin-check runs against one loaded plugin.
// Each reports PASS, FAIL, SKIP or WARN lines into the Report.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "plugin_host/plugin_loader.h"
#include "report.h"

namespace fibd::plugin_check {

inline constexpr std::uint64_t kLongTtlMs = 60000;

// get/set, TTL, delete, clear, a 1 MiB value, binary-safe keys and values,
// one report line each. Keys start with `prefix`.
void check_miss(Report& r, PluginCache& c, const std::string& prefix);
void check_set_hit(Report& r, PluginCache& c, const std::string& prefix);
void check_overwrite(Report& r, PluginCache& c, const std::string& prefix);
void check_empty_value(Report& r, PluginCache& c, const std::string& prefix);
void check_ttl(Report& r, PluginCache& c, const std::string& prefix);
void check_delete(Report& r, PluginCache& c, const std::string& prefix);
void check_clear(Report& r, PluginCache& c, const std::string& prefix);
void check_big_value(Report& r, PluginCache& c, const std::string& prefix);
void check_binary(Report& r, PluginCache& c, const std::string& prefix);
// `threads` threads at once, when the plugin says it is thread-safe.
void check_threads(Report& r, PluginCache& c, const std::string& prefix,
                   unsigned threads);
void check_stats(Report& r, PluginCache& c);
// For an async plugin (FIBD_CACHE_FEATURE_ASYNC): every call completes exactly
// once, from whatever thread, also when cancelled at once.
void check_async(Report& r, PluginCache& c, const std::string& prefix);
// For an async plugin: lookups made on a fibd event loop (which the plugin
// may use through the host's watches) complete exactly once (loop_checks.cpp).
void check_loop_calls(Report& r, PluginCache& c, const std::string& prefix);
// Drops the last reference: destroy() runs and the image must leave memory.
void check_unload(Report& r, std::shared_ptr<PluginCache> cache);
// create() should refuse an option it does not know.
void check_unknown_option(Report& r, const PluginLoadRequest& request);

}  // namespace fibd::plugin_check
