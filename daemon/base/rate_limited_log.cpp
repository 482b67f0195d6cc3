#include "base/rate_limited_log.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "base/escape.h"

namespace fibd {

void log_cache_error(const char* operation, const std::string& plugin,
                     const std::string& message) {
  static std::atomic<std::int64_t> next_allowed_ms{0};
  static std::atomic<std::uint64_t> suppressed{0};
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  auto allowed = next_allowed_ms.load(std::memory_order_relaxed);
  if (now_ms < allowed ||
      !next_allowed_ms.compare_exchange_strong(allowed, now_ms + 1000)) {
    suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto held = suppressed.exchange(0);
  spdlog::warn("cache {} failed in plugin {}: {} (serving without the cache{})",
               operation, plugin, escape_untrusted(message, 256),
               held ? "; " + std::to_string(held) + " similar errors suppressed" : "");
}

}  // namespace fibd
