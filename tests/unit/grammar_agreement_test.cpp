// One grammar per kind of value: the daemon's config and the shipped plugins
// get the same inputs and must give the same answers (they share
// <fibd/grammar.hpp>; this test keeps anyone from growing a second parser).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "plugin_host/cache_factory.h"
#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::shipped_plugin;
using ::testing::HasSubstr;

// nullopt when the plugin loads with these options, else the load error.
std::optional<std::string> plugin_refusal(
    const std::string& plugin, std::vector<std::pair<std::string, std::string>> options) {
  PluginLoadRequest request;
  request.path = shipped_plugin(plugin);
  request.trust_check = false;
  request.options = std::move(options);
  try {
    load_plugin(request);
    return std::nullopt;
  } catch (const CacheLoadError& e) {
    return std::string(e.what());
  }
}

template <typename Parse>
std::optional<std::string> daemon_refusal(Parse parse, const std::string& text) {
  try {
    parse(text);
    return std::nullopt;
  } catch (const ConfigError& e) {
    return std::string(e.what());
  }
}

// Nothing listens on port 1 of loopback: redis.so starts at once, Redis down.
constexpr const char* kNoRedis = "127.0.0.1:1";

TEST(GrammarAgreement, DurationsInRedisTimeoutsReadAsInTheConfig) {
  for (const std::string text :
       {"1ms",   "250ms", "1s",  "1.5s", "1m", "1m30s", "1h",
        "0.5s",  ".5s",   "",    "abc",  "10", "1x",    "500us",
        "1.5ms", "-1s",   "1s-", "1 s",  "1S", "s",     "9999999999999999999h"}) {
    const auto daemon =
        daemon_refusal([](const std::string& t) { return parse_duration(t); }, text);
    const auto plugin =
        plugin_refusal("redis", {{"address", kNoRedis}, {"command_timeout", text}});
    EXPECT_EQ(daemon.has_value(), plugin.has_value()) << "'" << text << "'";
    if (daemon && plugin) {
      EXPECT_THAT(*plugin, HasSubstr(*daemon)) << "'" << text << "'";
    }
  }
}

TEST(GrammarAgreement, AddressesInRedisReadAsListenAddresses) {
  for (const std::string text :
       {"127.0.0.1:1", "localhost:1", "[::1]:1", "::1:1", "[::1]", "127.0.0.1", ":1",
        "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:-1", "bad host:1",
        "-bad.example:1", "[127.0.0.1]:1", "999.1.1.1:1"}) {
    const auto daemon =
        daemon_refusal([](const std::string& t) { return parse_listen(t); }, text);
    const auto plugin = plugin_refusal(
        "redis",
        {{"address", text}, {"connect_timeout", "1ms"}, {"command_timeout", "1ms"}});
    EXPECT_EQ(daemon.has_value(), plugin.has_value()) << "'" << text << "'";
    if (daemon && plugin) {
      EXPECT_THAT(*plugin, HasSubstr(*daemon)) << "'" << text << "'";
    }
  }
}

TEST(GrammarAgreement, SizesInMemoryReadAsInTheConfig) {
  for (const std::string text :
       {"67108864", "64MiB", "1GiB", "1024KiB", "64mib", "64 MiB", "64MB", "1.5MiB", "-1",
        "", "MiB", "99999999999999999999"}) {
    const auto daemon =
        daemon_refusal([](const std::string& t) { return parse_size(t); }, text);
    const auto plugin = plugin_refusal("memory", {{"max_bytes", text}});
    EXPECT_EQ(daemon.has_value(), plugin.has_value()) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace fibd
