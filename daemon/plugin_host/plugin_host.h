// The services fibd offers one plugin instance (fibd_cache_host): today the
// log function, whose lines appear as "[plugin/NAME] message".
#pragma once

#include <fibd/cache_plugin.h>
#include <spdlog/common.h>

#include <string>

namespace fibd {

class PluginHost {
 public:
  explicit PluginHost(std::string plugin_name);
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Valid as long as this object lives (the instance's whole life).
  const fibd_cache_host* services() const { return &host_; }

 private:
  static void log(void* ctx, int level, const char* message) noexcept;

  std::string name_;
  fibd_cache_host host_{};
};

// A plugin's log level (fibd_cache_log_level, out-of-range values clamped)
// as an spdlog level.
spdlog::level::level_enum plugin_log_level(int level);

}  // namespace fibd
