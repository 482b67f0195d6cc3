#include "logger.h"

#include <cstddef>

namespace fibd_redis {

Logger::Logger(const fibd_cache_host* host, std::chrono::milliseconds interval)
    : interval_(interval) {
  if (host != nullptr &&
      host->struct_size >= offsetof(fibd_cache_host, log) + sizeof(host->log)) {
    fn_ = host->log;
    ctx_ = host->ctx;
  }
}

void Logger::log(fibd_cache_log_level level, const std::string& message) const {
  if (fn_ != nullptr) fn_(ctx_, level, 0, message.c_str());
}

void Logger::log_limited(fibd_cache_log_level level, const std::string& message) {
  std::string line;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (any_ && now - last_ < interval_) {
      ++suppressed_;
      ++suppressed_total_;
      return;
    }
    any_ = true;
    last_ = now;
    line = message;
    if (suppressed_ > 0) {
      line += " (" + std::to_string(suppressed_) + " similar messages suppressed)";
      suppressed_ = 0;
    }
  }
  log(level, line);
}

uint64_t Logger::suppressed_total() const {
  std::lock_guard lock(mu_);
  return suppressed_total_;
}

}  // namespace fibd_redis
