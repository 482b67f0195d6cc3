// Cache errors and rejected cache values can come once per request; the log
// gets at most one line per second of each kind, with the count of those it
// held back.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace fibd {

// At most one line per second. Thread-safe.
class LogRateLimit {
 public:
  // True when a line may be written now; `held` is then the number of lines
  // held back since the last one.
  bool allow(std::uint64_t& held);

 private:
  std::atomic<std::int64_t> next_allowed_ms_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

void log_cache_error(const char* operation, const std::string& plugin,
                     const std::string& message);

// A value the cache returned for `key` that is not F(key): the reason, its
// size and its first bytes, escaped.
void log_rejected_cache_value(const std::string& plugin, std::string_view key,
                              const char* reason, std::string_view value);

}  // namespace fibd
