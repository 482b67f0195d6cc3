// fibd-test-label: threaded
// The Cache adapter around a plugin instance: statuses and messages, contract
// violations, capability handling, host services, destroy exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::load;
using test::load_error;
using test::test_plugin;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(PluginCache, GetErrorCarriesPluginMessage) {
  auto cache = load(test_plugin("errors_on_get"));
  std::string value = "untouched", error;
  EXPECT_EQ(cache->get("10", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "backend timed out after 50 ms");
  EXPECT_EQ(value, "untouched");
  EXPECT_TRUE(cache->set("10", "55", std::chrono::seconds(1), error));
}

TEST(PluginCache, ContractViolationsBecomeErrors) {
  auto cache = load(test_plugin("contract_violations"));
  std::string value, error;
  EXPECT_EQ(cache->get("nohit", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "contract violation: get returned HIT without a value");
  EXPECT_EQ(cache->get("twice", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "contract violation: get delivered more than one value");
  EXPECT_EQ(cache->get("put_then_miss", value, error), CacheOutcome::Error);
  EXPECT_THAT(error, HasSubstr("did not return HIT"));
  EXPECT_EQ(cache->get("status", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "contract violation: get returned invalid status 42");
  EXPECT_FALSE(cache->set("status", "x", std::chrono::seconds(1), error));
  EXPECT_EQ(error, "contract violation: set returned invalid status 7");
  EXPECT_EQ(cache->get("other", value, error), CacheOutcome::NotFound);
  EXPECT_TRUE(cache->set("other", "x", std::chrono::seconds(1), error));
}

TEST(PluginCache, OptionalCallsNotOfferedAreErrors) {
  auto cache = load(test_plugin("errors_on_get"));
  std::string error;
  EXPECT_EQ(cache->del("k", error), FIBD_CACHE_ERROR);
  EXPECT_EQ(error, "the plugin does not offer del");
  EXPECT_EQ(cache->clear(error), FIBD_CACHE_ERROR);
  std::vector<std::pair<std::string, std::uint64_t>> stats;
  EXPECT_EQ(cache->stats(stats, error), FIBD_CACHE_ERROR);
}

TEST(PluginCache, SerialisesCallsToPluginsThatAreNotThreadSafe) {
  auto cache = load(test_plugin("not_thread_safe"));
  EXPECT_FALSE(cache->descriptor().thread_safe());
  EXPECT_FALSE(cache->non_blocking());
  std::atomic<int> errors{0};
  std::string first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string value, error;
        if (cache->get(std::to_string(i), value, error) == CacheOutcome::Error) ++errors;
        if (!cache->set(std::to_string(t), "v", std::chrono::seconds(1), error)) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

TEST(PluginCache, DestroysExactlyOnce) {
  test::LogCapture log;
  {
    auto cache = load(test_plugin("versioned_v1"));
    std::shared_ptr<Cache> alias = cache;  // as the daemon holds it
    cache.reset();
    EXPECT_EQ(log.count("destroyed v1"), 0u);
    std::string value, error;
    EXPECT_EQ(alias->get("k", value, error), CacheOutcome::Hit);
  }
  EXPECT_EQ(log.count("[plugin/versioned] created v1"), 1u);
  EXPECT_EQ(log.count("[plugin/versioned] destroyed v1"), 1u);
}

TEST(PluginCache, FailedCreateIsNeverDestroyed) {
  test::LogCapture log;
  PluginLoadRequest r;
  r.path = test_plugin("cpp_helper");
  r.options = {{"fail", "on purpose"}};
  EXPECT_THAT(load_error(r), AllOf(HasSubstr("plugin 'cpp_helper' 2.0.0 failed to start"),
                                   HasSubstr("asked to fail: on purpose")));
  EXPECT_EQ(log.count("destroyed"), 0u);
}

TEST(PluginCache, CppHelperTurnsExceptionsIntoErrors) {
  auto cache = load(test_plugin("cpp_helper"));
  std::string value, error;
  EXPECT_EQ(cache->get("throw", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "boom from get");
  EXPECT_EQ(cache->get("throw_int", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "unknown C++ exception");
  EXPECT_EQ(cache->get("hit_without_put", value, error), CacheOutcome::Error);
  EXPECT_EQ(error, "get returned hit without calling Value::put");
  EXPECT_FALSE(cache->set("throw", "x", std::chrono::seconds(1), error));
  EXPECT_EQ(error, "set refused");
}

TEST(PluginCache, CppHelperDescriptor) {
  auto cache = load(test_plugin("cpp_helper"));
  const PluginDescriptor& d = cache->descriptor();
  EXPECT_EQ(d.name, "cpp_helper");
  EXPECT_EQ(d.version, "2.0.0");
  EXPECT_EQ(d.description, "test plugin for cache_plugin.hpp");
  EXPECT_TRUE(d.thread_safe());
  EXPECT_NE(d.del, nullptr);  // offered by the class
  EXPECT_EQ(d.clear, nullptr);
  EXPECT_EQ(d.stats, nullptr);
  std::string value, error;
  EXPECT_TRUE(cache->set("k", std::string("a\0b", 3), std::chrono::seconds(1), error));
  EXPECT_EQ(cache->get("k", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, std::string("a\0b", 3));
  EXPECT_EQ(cache->del("k", error), FIBD_CACHE_OK);
  EXPECT_EQ(cache->del("k", error), FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(cache->get("k", value, error), CacheOutcome::NotFound);
}

TEST(PluginCache, TtlComesWithEverySetAndDefaultWithCreate) {
  auto cache =
      load(test_plugin("cpp_helper"), {}, true, std::chrono::milliseconds(15000));
  std::string value, error;
  ASSERT_TRUE(cache->set("a", "1", std::chrono::milliseconds(1234), error));
  ASSERT_EQ(cache->get("last_ttl", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "1234");
  ASSERT_TRUE(cache->set("a", "1", std::chrono::milliseconds(-5), error));
  ASSERT_EQ(cache->get("last_ttl", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "0");
  ASSERT_EQ(cache->get("default_ttl", value, error), CacheOutcome::Hit);
  EXPECT_EQ(value, "15000");
}

TEST(PluginCache, HostLogLinesNamePluginAndMapLevels) {
  test::LogCapture log;
  auto cache = load(test_plugin("cpp_helper"), {{"greeting", "hi\tthere"}});
  cache.reset();
  std::string text = log.text();
  EXPECT_THAT(text, HasSubstr("info [plugin/cpp_helper] hi\\x09there\\x0asecond line\n"));
  EXPECT_THAT(text, HasSubstr("critical [plugin/cpp_helper] too loud\n"));
  EXPECT_THAT(text, HasSubstr("info [plugin/cpp_helper] destroyed\n"));
}

TEST(PluginHost, Levels) {
  EXPECT_EQ(plugin_log_level(FIBD_LOG_TRACE), spdlog::level::trace);
  EXPECT_EQ(plugin_log_level(FIBD_LOG_DEBUG), spdlog::level::debug);
  EXPECT_EQ(plugin_log_level(FIBD_LOG_INFO), spdlog::level::info);
  EXPECT_EQ(plugin_log_level(FIBD_LOG_WARN), spdlog::level::warn);
  EXPECT_EQ(plugin_log_level(FIBD_LOG_ERROR), spdlog::level::err);
  EXPECT_EQ(plugin_log_level(FIBD_LOG_CRITICAL), spdlog::level::critical);
  EXPECT_EQ(plugin_log_level(77), spdlog::level::critical);
  EXPECT_EQ(plugin_log_level(0xffffffffu), spdlog::level::critical);
}

TEST(PluginHost, ServicesBlock) {
  PluginHost host("x");
  const fibd_cache_host* h = host.services();
  EXPECT_EQ(h->struct_size, sizeof(fibd_cache_host));
  EXPECT_EQ(h->abi_version, FIBD_CACHE_ABI_VERSION);
  ASSERT_NE(h->log, nullptr);
  test::LogCapture log;
  h->log(h->ctx, FIBD_LOG_WARN, 0, "careful");
  h->log(h->ctx, FIBD_LOG_WARN, 1234, "for one request");
  EXPECT_THAT(log.text(), HasSubstr("warning [plugin/x] careful"));
  EXPECT_THAT(log.text(), HasSubstr("warning [plugin/x] [req 1234] for one request"));
}

TEST(PluginHost, MonotonicClockIsTheSteadyClock) {
  PluginHost host("x");
  const fibd_cache_host* h = host.services();
  auto before = std::chrono::steady_clock::now().time_since_epoch();
  std::uint64_t ns = h->monotonic_ns(h->ctx);
  auto after = std::chrono::steady_clock::now().time_since_epoch();
  EXPECT_GE(ns,
            static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(before).count()));
  EXPECT_LE(ns, static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(after).count()));
}

TEST(PluginHost, MetricsByNameWithBadOnesDropped) {
  PluginHost host("x");
  const fibd_cache_host* h = host.services();
  test::LogCapture log;
  h->metric_add(h->ctx, "requests", 2);
  h->metric_add(h->ctx, "requests", 3);
  h->metric_set(h->ctx, "connections", -4);
  h->metric_set(h->ctx, "connections", 7);
  h->metric_add(h->ctx, "Bad Name", 1);
  h->metric_add(h->ctx, nullptr, 1);
  h->metric_set(h->ctx, "requests", 1);  // a counter used as a gauge
  auto m = host.metrics();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, "connections");
  EXPECT_TRUE(m[0].gauge);
  EXPECT_EQ(m[0].value, 7);
  EXPECT_EQ(m[1].name, "requests");
  EXPECT_FALSE(m[1].gauge);
  EXPECT_EQ(m[1].value, 5);
  EXPECT_THAT(log.text(), HasSubstr("metric dropped: name \"Bad Name\""));
  for (int i = 0; i < 100; ++i) {
    h->metric_add(h->ctx, ("m" + std::to_string(i)).c_str(), 1);
  }
  EXPECT_EQ(host.metrics().size(), PluginHost::kMaxMetrics);
}

}  // namespace
}  // namespace fibd
