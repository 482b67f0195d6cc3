// The duration grammar (<fibd/grammar.hpp>) that the daemon
// (limits.compute_timeout, cache.expiration, --cache-expiration) and the
// plugins (redis.so's timeouts) share: a refusal, or a non-negative duration
// that prints and parses back to itself.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  // The daemon: a ConfigError or a non-negative duration that prints and
  // parses back to itself.
  try {
    const std::chrono::milliseconds d = fibd::parse_duration(text);
    FUZZ_CHECK(d.count() >= 0, "negative %lld from '%s'", (long long)d.count(),
               text.c_str());
    const std::string printed = fibd::format_duration(d);
    std::chrono::milliseconds again{-1};
    try {
      again = fibd::parse_duration(printed);
    } catch (const fibd::ConfigError& e) {
      FUZZ_CHECK(false, "'%s' printed as '%s', which fails: %s", text.c_str(),
                 printed.c_str(), e.what());
    }
    FUZZ_CHECK(again == d, "'%s' -> %s -> %lld", text.c_str(), printed.c_str(),
               (long long)again.count());
  } catch (const fibd::ConfigError&) {
  }

  return 0;
}
