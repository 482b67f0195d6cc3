#include "plugin_host/plugin_host.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "base/escape.h"

namespace fibd {

PluginHost::PluginHost(std::string plugin_name) : name_(std::move(plugin_name)) {
  host_.struct_size = sizeof(fibd_cache_host);
  host_.abi_version = FIBD_CACHE_ABI_VERSION;
  host_.ctx = this;
  host_.log = &PluginHost::log;
}

void PluginHost::log(void* ctx, int level, const char* message) noexcept {
  try {
    auto* self = static_cast<PluginHost*>(ctx);
    auto logger = spdlog::default_logger();
    auto lvl = plugin_log_level(level);
    if (!logger || !logger->should_log(lvl)) return;
    logger->log(lvl, "[plugin/{}] {}", self->name_, escape_untrusted(message, 4096));
  } catch (...) {
    // A log line is never worth an exception crossing into plugin code.
  }
}

spdlog::level::level_enum plugin_log_level(int level) {
  switch (level) {
    case FIBD_LOG_TRACE:
      return spdlog::level::trace;
    case FIBD_LOG_DEBUG:
      return spdlog::level::debug;
    case FIBD_LOG_INFO:
      return spdlog::level::info;
    case FIBD_LOG_WARN:
      return spdlog::level::warn;
    case FIBD_LOG_ERROR:
      return spdlog::level::err;
    case FIBD_LOG_CRITICAL:
      return spdlog::level::critical;
    default:
      return level < FIBD_LOG_TRACE ? spdlog::level::trace : spdlog::level::critical;
  }
}

}  // namespace fibd
