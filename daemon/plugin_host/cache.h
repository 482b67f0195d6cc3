// The cache seam: what a request sees of the configured cache, whatever
// implements it (nothing, or a .so plugin behind the C ABI).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_host/file_identity.h"

namespace fibd {

enum class CacheOutcome { Hit, NotFound, Expired, Error };

// What the near cache tier (near_cache.h) has done so far.
struct NearCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t bytes = 0;
  std::uint64_t max_bytes = 0;
};

// One metric a plugin reported through the host services.
struct PluginMetric {
  std::string name;
  bool gauge = false;  // otherwise a counter
  double value = 0;
};

// The answer to an asynchronous lookup (Cache::get_async).
struct CacheLookup {
  CacheOutcome outcome = CacheOutcome::Error;
  std::string value;  // Hit: the value, unchecked
  std::string error;  // Error: why
};
using CacheLookupDone = std::function<void(CacheLookup)>;

// A lookup in flight. cancel(): nobody waits for it any more; the plugin is
// told, and `done` still runs once. Any thread, any number of times.
class CacheLookupHandle {
 public:
  virtual ~CacheLookupHandle() = default;
  virtual void cancel() = 0;
};

class Cache {
 public:
  virtual ~Cache() = default;

  // What runs now, for logs, /metrics and D-Bus properties.
  virtual const std::string& name() const = 0;
  virtual const std::string& version() const = 0;
  virtual const std::string& path() const = 0;  // "" for built-ins
  // True when get/set never block, so they may run on an event-loop thread.
  virtual bool non_blocking() const = 0;
  // False when set() keeps nothing ("none"): computed values need not be
  // written at all.
  virtual bool keeps_values() const { return true; }
  // The file the running code was read from (all zero for built-ins).
  virtual FileIdentity file_identity() const { return {}; }

  // Hit: value filled (a caller reusing one string across calls avoids
  // allocations). Otherwise value is untouched. Error: error filled. Never throws.
  virtual CacheOutcome get(std::string_view key, std::string& value,
                           std::string& error) = 0;
  // False with error filled on failure. Never throws.
  virtual bool set(std::string_view key, std::string_view value,
                   std::chrono::milliseconds ttl, std::string& error) = 0;

  // True when get_async() holds no thread while it waits: the plugin
  // completes lookups later, from threads of its own.
  virtual bool async() const { return false; }
  // Starts a lookup that ends by `deadline`. `done` runs exactly once, on any
  // thread, possibly this one before get_async returns. The handle (null
  // when the answer came at once) cancels it. The caller keeps the cache
  // alive until `done` has run and for as long as it keeps the handle.
  // Never throws. This default answers at once with get().
  virtual std::shared_ptr<CacheLookupHandle> get_async(
      std::string_view key, std::chrono::steady_clock::time_point /*deadline*/,
      CacheLookupDone done) {
    CacheLookup lookup;
    lookup.outcome = get(key, lookup.value, lookup.error);
    done(std::move(lookup));
    return nullptr;
  }

  // The metrics the plugin reported through the host services, by name.
  virtual std::vector<PluginMetric> plugin_metrics() const { return {}; }
  // A lookup in process memory only (the near tier), never blocking: true
  // with value filled on a hit. Lets a blocking plugin's hits that are near
  // be answered on the event loop. Never throws.
  virtual bool get_near(std::string_view /*key*/, std::string& /*value*/) {
    return false;
  }
  // Set when a near cache tier is in front of the plugin.
  virtual std::optional<NearCacheStats> near_stats() const { return std::nullopt; }
};

// The built-in "none" cache: every get misses, every set is dropped.
std::shared_ptr<Cache> make_none_cache();

}  // namespace fibd
