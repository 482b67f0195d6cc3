// Turns cache settings into a running Cache: "none", or a .so plugin loaded
// through the C ABI (see plugin_loader.h).
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>

#include "config/config.h"
#include "plugin_host/cache.h"

namespace fibd {

// Every load failure, with a message that says exactly what is wrong.
class CacheLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginReaper;

// Builds a new, independent instance (a reload calls it while the old instance
// still serves). Throws CacheLoadError. The returned object's destructor
// destroys the plugin instance and unloads its image: on `reaper`'s thread
// when one is given (it must outlive the cache), else on the thread that
// lets go of it last.
// `call_timeout` is the deadline of a cache call made without one of its
// own (fibd_cache_config.call_timeout_ns): the daemon passes
// limits.compute_timeout, the time a request may take.
std::shared_ptr<Cache> open_cache(
    const CacheSettings& settings, PluginReaper* reaper = nullptr,
    std::chrono::milliseconds call_timeout = std::chrono::seconds(1));

}  // namespace fibd
