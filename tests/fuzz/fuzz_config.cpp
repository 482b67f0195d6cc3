// The YAML configuration loader: any file content either yields a valid
// Config or a ConfigError located in that file. Nothing else may escape
// (no yaml-cpp exception, no crash), and what it accepts is within limits.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_checks.h"
#include "fuzz_check.h"

using namespace fibd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config c;
  try {
    c = parse_config(text, "fuzz.yaml");
  } catch (const ConfigError& e) {
    const std::string_view what = e.what();
    FUZZ_CHECK(what.starts_with("fuzz.yaml"), "message without its file: %s", e.what());
    return 0;
  }
  FUZZ_CHECK(c.source == "fuzz.yaml", "source %s", c.source.c_str());
  FUZZ_CHECK(c.workers <= detail::kMaxWorkers, "workers %u", c.workers);
  FUZZ_CHECK(c.max_n >= 1 && c.max_n <= detail::kMaxMaxN, "max_n %llu",
             (unsigned long long)c.max_n);
  FUZZ_CHECK(c.effective_max_n() <= c.max_n, "effective_max_n");
  FUZZ_CHECK(c.max_inflight >= 1 && c.max_inflight <= detail::kMaxInflight,
             "max_inflight %u", c.max_inflight);
  FUZZ_CHECK(c.compute_timeout.count() > 0, "compute_timeout %lld",
             (long long)c.compute_timeout.count());
  FUZZ_CHECK(c.cache.expiration.count() >= 0, "expiration %lld",
             (long long)c.cache.expiration.count());
  FUZZ_CHECK(!c.cache.plugin.empty(), "empty plugin");
  FUZZ_CHECK(!c.cache.factory.empty(), "empty factory");
  FUZZ_CHECK(!c.cache.plugin_dir.empty() && c.cache.plugin_dir[0] == '/', "plugin_dir %s",
             c.cache.plugin_dir.c_str());
  // An accepted listen address parses again, and prints back the same way.
  try {
    const ListenAddress a = parse_listen(c.listen);
    FUZZ_CHECK(a.port >= 1, "port 0");
    const ListenAddress b = parse_listen(format_listen(a));
    FUZZ_CHECK(a.host == b.host && a.port == b.port, "listen round trip");
  } catch (const ConfigError& e) {
    FUZZ_CHECK(false, "accepted listen '%s' fails later: %s", c.listen.c_str(), e.what());
  }
  std::set<std::string> keys;
  for (const auto& [key, value] : c.cache.options) {
    FUZZ_CHECK(!key.empty(), "empty option key");
    FUZZ_CHECK(keys.insert(key).second, "duplicate option key %s", key.c_str());
  }
  return 0;
}
