#include "plugin_host.h"

#include <cstring>

#include <spdlog/spdlog.h>

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
    logger->log(lvl, "[plugin/{}] {}", self->name_, sanitize_plugin_message(message));
  } catch (...) {
    // A log line is never worth an exception crossing into plugin code.
  }
}

spdlog::level::level_enum plugin_log_level(int level) {
  switch (level) {
    case FIBD_LOG_TRACE: return spdlog::level::trace;
    case FIBD_LOG_DEBUG: return spdlog::level::debug;
    case FIBD_LOG_INFO: return spdlog::level::info;
    case FIBD_LOG_WARN: return spdlog::level::warn;
    case FIBD_LOG_ERROR: return spdlog::level::err;
    case FIBD_LOG_CRITICAL: return spdlog::level::critical;
    default: return level < FIBD_LOG_TRACE ? spdlog::level::trace : spdlog::level::critical;
  }
}

std::string sanitize_plugin_message(const char* message, std::size_t max_len) {
  if (message == nullptr) return "(null)";
  std::size_t len = strnlen(message, max_len + 1);
  bool cut = len > max_len;
  if (cut) len = max_len;
  std::string out;
  out.reserve(len + 16);
  static const char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(message[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut) out += "... (cut)";
  return out;
}

}  // namespace fibd
