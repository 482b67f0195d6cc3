// Logging through the host's log function, with a rate limit for the lines
// an outage repeats on every request.
#pragma once

#include <fibd/cache_plugin.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace fibd_redis {

class Logger {
 public:
  // `host` may be NULL or lack a log function: lines are then dropped.
  explicit Logger(const fibd_cache_host* host,
                  std::chrono::milliseconds interval = std::chrono::seconds(1));

  // Always written.
  void log(fibd_cache_log_level level, const std::string& message) const;

  // At most one line per interval; the next line written says how many were
  // left out in between.
  void log_limited(fibd_cache_log_level level, const std::string& message);

  uint64_t suppressed_total() const;

 private:
  decltype(fibd_cache_host::log) fn_ = nullptr;
  fibd_cache_host_ctx* ctx_ = nullptr;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
  bool any_ = false;
  uint64_t suppressed_ = 0;        // since the last line written
  uint64_t suppressed_total_ = 0;  // ever
};

}  // namespace fibd_redis
