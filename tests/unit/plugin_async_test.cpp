// fibd-test-label: threaded
// Async plugins (FIBD_CACHE_FEATURE_ASYNC) through the host: completions from
// the plugin's thread or inline, deadlines that cancel, contract violations,
// destroy() only after every completion; and the plugins ABI 2 refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::load;
using test::load_error;
using test::test_plugin;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

TEST(PluginAsync, GetAndSetCompleteFromThePluginThread) {
  auto cache = load(test_plugin("async_cache"));
  EXPECT_TRUE(cache->descriptor().async());
  std::string value, error;
  CallTrace set_trace, get_trace;
  EXPECT_EQ(cache->set_status("k", "v", 1000, error, {}, &set_trace), FIBD_CACHE_OK)
      << error;
  EXPECT_TRUE(set_trace.pending);
  EXPECT_TRUE(set_trace.completed);
  EXPECT_EQ(cache->get_status("k", value, error, {}, &get_trace), FIBD_CACHE_HIT)
      << error;
  EXPECT_EQ(value, "v");
  EXPECT_TRUE(get_trace.pending);
  EXPECT_FALSE(get_trace.completed_inline);
  EXPECT_NE(get_trace.call->completed_on(), std::this_thread::get_id());
  EXPECT_EQ(get_trace.call->completions(), 1);
  EXPECT_EQ(cache->get("missing", value, error), CacheOutcome::NotFound);
  EXPECT_EQ(cache->pending_calls(), 0u);
}

TEST(PluginAsync, CompletionBeforeReturnIsFine) {
  auto cache = load(test_plugin("async_cache"));
  std::string value, error;
  CallTrace trace;
  EXPECT_EQ(cache->get_status("inline:x", value, error, {}, &trace),
            FIBD_CACHE_NOT_FOUND);
  EXPECT_TRUE(trace.completed_inline);
}

TEST(PluginAsync, DeadlineCancelsAndTheCallStillCompletesOnce) {
  auto cache = load(test_plugin("async_cache"));
  std::string value = "untouched", error;
  CallTrace trace;
  CallOptions options;
  options.deadline = Clock::now() + std::chrono::milliseconds(20);
  EXPECT_EQ(cache->get_status("hold:1", value, error, options, &trace),
            FIBD_CACHE_CANCELLED);
  EXPECT_TRUE(trace.cancelled);
  EXPECT_TRUE(trace.completed);
  EXPECT_EQ(trace.call->completions(), 1);
  EXPECT_EQ(value, "untouched");
  // Through the Cache seam a cancelled lookup is an error, not a miss.
  EXPECT_EQ(cache->get("hold:2", value, error), CacheOutcome::Error);
  EXPECT_THAT(error, HasSubstr("did not answer by the call's deadline"));
}

TEST(PluginAsync, ManyThreadsAtOnce) {
  auto cache = load(test_plugin("async_cache"), {{"delay_ms", "0"}});
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(t) + ":" + std::to_string(i % 7);
        std::string value, error;
        if (!cache->set(key, key, std::chrono::seconds(5), error)) ++wrong;
        if (cache->get(key, value, error) != CacheOutcome::Hit || value != key) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(PluginAsync, DestroyWaitsForCompletionsAndMetricsArrive) {
  test::LogCapture log;
  auto cache = load(test_plugin("async_cache"));
  std::string value, error;
  cache->get("a", value, error);
  cache->get("b", value, error);
  auto metrics = cache->plugin_metrics();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].name, "gets");
  EXPECT_EQ(metrics[0].value, 2);
  cache.reset();  // joins the plugin's thread; nothing pending
}

TEST(PluginAsync, CompletingTwiceIsAViolationTheHostSurvives) {
  test::LogCapture log;
  auto cache = load(test_plugin("async_twice"));
  std::string value, error;
  CallTrace trace;
  EXPECT_EQ(cache->get_status("k", value, error, {}, &trace), FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(trace.call->completions(), 2);
  EXPECT_THAT(log.text(), HasSubstr("contract violation: a call completed 2 times"));
}

TEST(PluginAsync, SyncPluginsGetNoCompletionAndMayNotPend) {
  auto cache = load(test_plugin("errors_on_get"));
  EXPECT_FALSE(cache->descriptor().async());
}

TEST(PluginAbi, VersionOnePluginIsRefusedNamingBothVersions) {
  EXPECT_THAT(load_error(test_plugin("v1_plugin")),
              AllOf(HasSubstr("built for cache plugin ABI version 1"),
                    HasSubstr("this fibd speaks ABI version 2"),
                    HasSubstr("rebuild it against <fibd/cache_plugin.h>")));
}

TEST(PluginAbi, UnknownRequiredFeatureIsRefused) {
  EXPECT_THAT(load_error(test_plugin("unknown_feature")),
              HasSubstr("requires features this fibd does not know (bits "
                        "0x8000000000000000 of required_features)"));
}

TEST(PluginAbi, AsyncWithoutCancelIsRefused) {
  EXPECT_THAT(load_error(test_plugin("async_without_cancel")),
              HasSubstr("requires FIBD_CACHE_FEATURE_ASYNC but offers no cancel()"));
}

TEST(PluginAbi, NonBlockingWithoutThreadSafeIsRefused) {
  EXPECT_THAT(load_error(test_plugin("nonblocking_unsafe")),
              HasSubstr("a non-blocking plugin must be thread-safe"));
}

}  // namespace
}  // namespace fibd
