#include "base/rate_limited_log.h"

#include <chrono>

#include "base/escape.h"
#include "base/log.h"

namespace fibd {

namespace {

std::string held_back(std::uint64_t held, const char* what) {
  return held ? "; " + std::to_string(held) + " similar " + what + " suppressed" : "";
}

}  // namespace

bool LogRateLimit::allow(std::uint64_t& held) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  auto allowed = next_allowed_ms_.load(std::memory_order_relaxed);
  if (now_ms < allowed ||
      !next_allowed_ms_.compare_exchange_strong(allowed, now_ms + 1000)) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  held = suppressed_.exchange(0);
  return true;
}

void log_cache_error(const char* operation, const std::string& plugin,
                     const std::string& message) {
  static LogRateLimit limit;
  std::uint64_t held = 0;
  if (!limit.allow(held)) return;
  spdlog::warn("cache {} failed in plugin {}: {} (serving without the cache{})",
               operation, plugin, escape_untrusted(message, 256),
               held_back(held, "errors"));
}

void log_rejected_cache_value(const std::string& plugin, std::string_view key,
                              const char* reason, std::string_view value) {
  static LogRateLimit limit;
  std::uint64_t held = 0;
  if (!limit.allow(held)) return;
  spdlog::warn(
      "cache plugin {} returned a value for key \"{}\" that is not F({}) ({}, {} bytes: "
      "\"{}\"); serving the computed value and overwriting the entry{}",
      plugin, escape_untrusted(key), escape_untrusted(key), reason, value.size(),
      escape_untrusted(value, 64), held_back(held, "values"));
}

}  // namespace fibd
