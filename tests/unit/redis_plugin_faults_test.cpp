// fibd-test-label: threaded
//
// redis.so when Redis fails: unreachable, restarted, killed or frozen under
// load; the circuit breaker and rate-limited logs. Time bounds here are
// liveness limits, not performance targets.
#include "redis_plugin_harness.h"

namespace {

using namespace fibd_redis_test;

TEST_F(RedisPluginTest, UnreachableAtCreateThenRecovers) {
  // Nothing listens on port_ yet.
  Instance c(
      plugin_,
      {{"address", addr()}, {"connect_timeout", "200ms"}, {"command_timeout", "200ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("not reachable", FIBD_LOG_WARN));
  // The refused connection and the breaker opening reach the host's metrics
  // at once; nothing is connected.
  EXPECT_GE(c.log().metric("connect_failures"), 1);
  EXPECT_EQ(c.log().metric("breaker_opens"), 1);
  EXPECT_EQ(c.log().metric("breaker_state"), 1);
  EXPECT_EQ(c.log().metric("connections"), 0);
  EXPECT_EQ(c.log().metric("connects"), 0);

  auto t0 = Clock::now();
  auto r = c.get("1");
  EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(since(t0), 200ms + slack());

  // The breaker spares requests the connect attempt: many calls, quickly,
  // and only a few log lines.
  t0 = Clock::now();
  for (int i = 0; i < 500; ++i) EXPECT_EQ(c.get("1").status, FIBD_CACHE_ERROR);
  EXPECT_LT(since(t0), 2000ms);
  EXPECT_GT(c.stats()["breaker_rejected"], 400u);
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 10u);

  start_redis();
  auto took = wait_for_hit(c, 5s);
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after Redis started";
  report("hit after " + std::to_string(took->count()) + "ms", c);
  EXPECT_LT(*took, 2000ms);
  EXPECT_TRUE(c.log().contains("answers again", FIBD_LOG_INFO));
  EXPECT_EQ(c.log().metric("breaker_state"), 0);
  EXPECT_GE(c.log().metric("connects"), 1);
  EXPECT_GE(c.log().metric("connections"), 1);
  EXPECT_GE(c.log().metric("errors"), 500);
  for (const char* name : {"connect_failures", "breaker_opens", "breaker_state",
                           "connects", "connections", "errors", "timeouts"})
    expect_metric_is_stat(c, name);
}

TEST_F(RedisPluginTest, RestartIsInvisibleToTheNextCall) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("a", "1", 0), FIBD_CACHE_OK);
  redis().kill();
  start_redis();
  // The idle connection died with the old server: the plugin's loop saw it
  // close, and the next call opens a fresh one.
  auto r = c.get("a");
  EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;  // no persistence
  EXPECT_EQ(c.set("a", "2", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("a").value, "2");
  // The connection the kill took away, and the one made after it.
  EXPECT_GE(c.log().metric("connections_discarded"), 1);
  EXPECT_GE(c.log().metric("connects"), 2);
  expect_metric_is_stat(c, "connections_discarded");
  expect_metric_is_stat(c, "connects");
  EXPECT_EQ(c.log().metric("breaker_opens"), 0);
}

TEST_F(RedisPluginTest, KilledMidLoadStaysBoundedAndRecovers) {
  start_redis();
  const auto timeout = 300ms;
  Instance c(plugin_, {{"address", addr()},
                       {"connect_timeout", "300ms"},
                       {"command_timeout", "300ms"},
                       {"pool_size", "4"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  Load load(c, 8);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(load.errors(), 0u);
  redis().kill();
  std::this_thread::sleep_for(1000ms);
  EXPECT_GT(load.errors(), 0u);
  EXPECT_GE(c.stats()["breaker_opens"], 1u);
  start_redis();
  auto took = wait_for_hit(c, 5s);
  load.stop();
  report("slowest call " + std::to_string(load.max_ms()) + "ms of " +
             std::to_string(load.calls()) + ", hit again after " +
             std::to_string(took ? took->count() : -1) + "ms",
         c);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count()) << "a call was not bounded";
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after Redis restarted";
  EXPECT_LT(*took, 2000ms);
  EXPECT_GT(load.calls(), 100u);
}

TEST_F(RedisPluginTest, FrozenRedisStaysBoundedAndRecovers) {
  start_redis({"--requirepass", "pw"});  // new connections must AUTH: that is bounded too
  const auto timeout = 200ms;
  Instance c(plugin_, {{"address", addr()},
                       {"password", "pw"},
                       {"command_timeout", "200ms"},
                       {"connect_timeout", "200ms"},
                       {"pool_size", "4"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  Load load(c, 8);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(load.errors(), 0u);
  redis().stop_signal();
  std::this_thread::sleep_for(1500ms);
  uint64_t calls_frozen = load.calls();
  EXPECT_GT(load.errors(), 0u);
  auto s = c.stats();
  EXPECT_GE(s["breaker_opens"], 1u);
  EXPECT_GT(s["breaker_rejected"], 0u);
  EXPECT_GT(s["timeouts"], 0u);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count()) << "a call was not bounded";
  redis().cont_signal();
  auto took = wait_for_hit(c, 5s);
  std::this_thread::sleep_for(
      200ms);  // the load gets some calls in, even on a busy machine
  load.stop();
  report("slowest call " + std::to_string(load.max_ms()) + "ms of " +
             std::to_string(load.calls()) + ", hit again after " +
             std::to_string(took ? took->count() : -1) + "ms",
         c);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count());
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after SIGCONT";
  EXPECT_LT(*took, 2000ms);
  EXPECT_GT(load.calls(), calls_frozen);
}

// A request that misses does a GET and then a SET: against a frozen Redis the
// first call's timeout must open the breaker, so the SET fails at once and the
// request pays command_timeout once, not twice (one client, no other failures).
TEST_F(RedisPluginTest, OneTimeoutOpensTheBreaker) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "300ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  redis().stop_signal();
  auto t0 = Clock::now();
  auto got = c.get("k");
  auto get_took = since(t0);
  EXPECT_EQ(got.status, FIBD_CACHE_ERROR);
  EXPECT_THAT(got.error, HasSubstr("command_timeout"));
  EXPECT_GE(get_took, 300ms);
  EXPECT_EQ(c.stats()["breaker_state"], 1u);
  EXPECT_EQ(c.log().metric("breaker_state"), 1);
  EXPECT_EQ(c.log().metric("timeouts"), 1);
  t0 = Clock::now();
  std::string error;
  EXPECT_EQ(c.set("k", "v2", 60000, &error), FIBD_CACHE_ERROR);
  auto set_took = since(t0);
  redis().cont_signal();
  EXPECT_THAT(error, HasSubstr("circuit breaker"));
  EXPECT_LT(set_took, 150ms) << "the SET waited for Redis again";
  EXPECT_TRUE(c.log().contains("circuit breaker open", FIBD_LOG_WARN));
  EXPECT_TRUE(wait_for_hit(c, 2s).has_value());
}

TEST_F(RedisPluginTest, ErrorsAreLoggedRateLimited) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "100ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  // A persistent per-command error (not an outage): WRONGTYPE on GET.
  redis().cli({"LPUSH", "fibd:list", "x"});
  for (int i = 0; i < 200; ++i) EXPECT_EQ(c.get("list").status, FIBD_CACHE_ERROR);
  EXPECT_THAT(c.get("list").error, HasSubstr("WRONGTYPE"));
  EXPECT_TRUE(c.log().contains("WRONGTYPE", FIBD_LOG_WARN));
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 5u);
  // The server answered: the breaker stays closed.
  EXPECT_EQ(c.stats()["breaker_state"], 0u);

  // An outage: many failed calls, few lines.
  redis().kill();
  for (int i = 0; i < 300; ++i) c.get("x");
  report("after 200 WRONGTYPE and 300 failed calls", c);
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 10u);
}

TEST_F(RedisPluginTest, DaemonDoesNotLinkHiredis) {
  auto readelf = find_in_path("readelf");
  if (!readelf) GTEST_SKIP() << "readelf not installed";
  std::string fibd = kBuildDir + "/bin/fibd";
  if (::access(fibd.c_str(), R_OK) != 0) GTEST_SKIP() << fibd << " not built";
  std::string daemon = run_capture(*readelf, {"-dW", fibd});
  ASSERT_THAT(daemon, HasSubstr("NEEDED"));
  EXPECT_THAT(daemon, ::testing::Not(HasSubstr("hiredis")));
  std::string plugin = run_capture(*readelf, {"-dW", kBuildDir + "/plugins/redis.so"});
  EXPECT_THAT(plugin, HasSubstr("libhiredis"));
}

}  // namespace
