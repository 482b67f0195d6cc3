// fibd-test-label: threaded
//
// redis.so's get and set made on a host event loop (fibd's own EventLoop and
// its fibd_cache_host watches), against real redis-server processes: the
// loop writes, reads and completes with no thread in between; a frozen Redis
// resets the connection after command_timeout; cancel(); destroy() with
// calls in flight, from another thread, and after the loop has stopped.
#include <optional>

#include "../support/host_loop.h"
#include "redis_plugin_harness.h"

namespace {

using namespace fibd_redis_test;

class RedisLoopTest : public RedisPluginTest {
 protected:
  template <typename Fn>
  auto on_loop(Fn fn) {
    return host_.run(std::move(fn));
  }
  std::unique_ptr<Instance> instance(Options opts) {
    return std::make_unique<Instance>(plugin_, opts, 0, host_.services.services());
  }
  Started get_on_loop(Instance& c, const std::string& key) {
    return on_loop([&] { return c.start_get(key, 0, host_.handle); });
  }
  Started set_on_loop(Instance& c, const std::string& key, const std::string& value) {
    return on_loop([&] { return c.start_set(key, value, 60000, 0, host_.handle); });
  }
  // An instance whose loop connection holds "k", on a Redis frozen now
  // (SIGSTOP; the fixture's server is continued by the test).
  std::unique_ptr<Instance> frozen_after_set(const std::string& command_timeout) {
    start_redis();
    auto c = instance({{"address", addr()}, {"command_timeout", command_timeout}});
    EXPECT_TRUE(c->ok()) << c->create_error();
    EXPECT_TRUE(c->ok() && set_on_loop(*c, "k", "v").waiter->wait());
    redis().stop_signal();
    return c;
  }
  std::thread::id loop_thread() {
    return on_loop([] { return std::this_thread::get_id(); });
  }

  fibd::test::HostLoop host_;
};

TEST_F(RedisLoopTest, CallsAreAnsweredOnTheLoopThatMadeThem) {
  start_redis();
  auto c = instance({{"address", addr()}});
  ASSERT_TRUE(c->ok()) << c->create_error();
  auto miss = get_on_loop(*c, "1");
  ASSERT_EQ(miss.status, FIBD_CACHE_PENDING) << miss.error;
  ASSERT_TRUE(miss.waiter->wait());
  EXPECT_EQ(miss.waiter->result().status, FIBD_CACHE_NOT_FOUND);
  auto set = set_on_loop(*c, "1", std::string("o\0ne", 4));
  ASSERT_TRUE(set.waiter->wait());
  EXPECT_EQ(set.waiter->result().status, FIBD_CACHE_OK) << set.waiter->result().error;
  auto hit = get_on_loop(*c, "1");
  ASSERT_TRUE(hit.waiter->wait());
  EXPECT_EQ(hit.waiter->result().status, FIBD_CACHE_HIT);
  EXPECT_EQ(hit.waiter->result().value, std::string("o\0ne", 4));
  const auto loop = loop_thread();
  EXPECT_EQ(miss.waiter->thread(), loop);
  EXPECT_EQ(set.waiter->thread(), loop);
  EXPECT_EQ(hit.waiter->thread(), loop);

  // Many calls in one turn of the loop share one connection.
  auto batch = on_loop([&] {
    std::vector<Started> out;
    for (int i = 0; i < 500; ++i) out.push_back(c->start_get("1", 0, host_.handle));
    return out;
  });
  for (auto& call : batch) {
    ASSERT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
    ASSERT_TRUE(call.waiter->wait());
    EXPECT_EQ(call.waiter->result().status, FIBD_CACHE_HIT);
    EXPECT_EQ(call.waiter->count(), 1);
  }
  auto s = c->stats();
  EXPECT_EQ(s["connections"], 2u);  // the loop's, and create()'s check's
  EXPECT_EQ(s["in_flight"], 0u);
  EXPECT_EQ(s["pending_calls"], 0u);
  EXPECT_EQ(s["errors"], 0u);
  // A call from a thread without a loop goes through the plugin's own loop.
  auto other = c->start_get("1");
  ASSERT_TRUE(other.waiter->wait());
  EXPECT_EQ(other.waiter->result().status, FIBD_CACHE_HIT);
  EXPECT_NE(other.waiter->thread(), loop);
}

TEST_F(RedisLoopTest, AuthAndSelectGoFirstOnTheLoopsConnection) {
  start_redis({"--requirepass", "s3cret"});
  auto c = instance({{"address", addr()}, {"password", "s3cret"}, {"db", "3"}});
  ASSERT_TRUE(c->ok()) << c->create_error();
  auto set = set_on_loop(*c, "k", "v");
  ASSERT_TRUE(set.waiter->wait());
  EXPECT_EQ(set.waiter->result().status, FIBD_CACHE_OK) << set.waiter->result().error;
  EXPECT_EQ(redis().cli({"GET", "fibd:k"}, {"-a", "s3cret", "-n", "3"}), "v");
  // A wrong password now: the loop's connection fails its AUTH, the call
  // fails with Redis' reason.
  auto bad = instance({{"address", addr()}, {"password", "s3cret"}, {"db", "3"}});
  ASSERT_TRUE(bad->ok());
  redis().cli({"CONFIG", "SET", "requirepass", "other"}, {"-a", "s3cret"});
  auto refused = get_on_loop(*bad, "k");
  ASSERT_TRUE(refused.waiter->wait());
  EXPECT_EQ(refused.waiter->result().status, FIBD_CACHE_ERROR);
  EXPECT_THAT(refused.waiter->result().error, HasSubstr("refused authentication"));
}

TEST_F(RedisLoopTest, FrozenRedisResetsTheConnectionAfterCommandTimeout) {
  auto c = frozen_after_set("300ms");
  ASSERT_TRUE(c->ok());
  // No deadline on the call: only command_timeout ends it.
  auto get = get_on_loop(*c, "k");
  ASSERT_EQ(get.status, FIBD_CACHE_PENDING) << get.error;
  ASSERT_TRUE(get.waiter->wait(10s)) << "a frozen Redis held the call";
  EXPECT_EQ(get.waiter->result().status, FIBD_CACHE_ERROR);
  EXPECT_THAT(get.waiter->result().error, HasSubstr("command_timeout"));
  EXPECT_GE(c->stats()["connections_discarded"], 1u);
  redis().cont_signal();
  // The next call made after the breaker lets it through reconnects.
  auto t0 = Clock::now();
  GetResult r{FIBD_CACHE_ERROR, {}, {}};
  while (since(t0) < 10s && r.status != FIBD_CACHE_HIT) {
    auto again = get_on_loop(*c, "k");
    if (again.status == FIBD_CACHE_PENDING && again.waiter->wait())
      r = again.waiter->result();
    if (r.status != FIBD_CACHE_HIT) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(get.waiter->count(), 1);
}

TEST_F(RedisLoopTest, CancelCompletesOnceAndTheLateReplyIsIgnored) {
  auto c = frozen_after_set("20s");
  ASSERT_TRUE(c->ok());
  auto get = get_on_loop(*c, "k");
  ASSERT_EQ(get.status, FIBD_CACHE_PENDING) << get.error;
  c->cancel(get.call_id);  // from this thread, as a deadline timer would
  EXPECT_EQ(get.waiter->count(), 1);
  EXPECT_EQ(get.waiter->result().status, FIBD_CACHE_CANCELLED);
  redis().cont_signal();
  EXPECT_TRUE(wait_stat(*c, "late_replies", 1));
  EXPECT_EQ(get.waiter->count(), 1);
}

TEST_F(RedisLoopTest, DestroyFromAnotherThreadCompletesEveryCallOnTheLoop) {
  auto c = frozen_after_set("20s");
  ASSERT_TRUE(c->ok());
  auto calls = on_loop([&] {
    std::vector<Started> out;
    for (int i = 0; i < 50; ++i) {
      out.push_back(c->start_get("k", 0, host_.handle));
      out.push_back(c->start_set("k" + std::to_string(i), "v", 60000, 0, host_.handle));
    }
    return out;
  });
  for (auto& call : calls) ASSERT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
  c.reset();  // destroy(), on this thread, while the loop runs
  for (auto& call : calls) {
    EXPECT_EQ(call.waiter->count(), 1) << "not completed before destroy() returned";
    EXPECT_EQ(call.waiter->result().status, FIBD_CACHE_ERROR);
    EXPECT_THAT(call.waiter->result().error, HasSubstr("destroyed"));
  }
  redis().cont_signal();
}

TEST_F(RedisLoopTest, DestroyAfterTheLoopHasStopped) {
  auto c = frozen_after_set("20s");
  ASSERT_TRUE(c->ok());
  auto get = get_on_loop(*c, "k");
  ASSERT_EQ(get.status, FIBD_CACHE_PENDING) << get.error;
  host_.loop.stop();  // as fibd does at shutdown, before the plugin goes
  c.reset();
  EXPECT_EQ(get.waiter->count(), 1);
  EXPECT_EQ(get.waiter->result().status, FIBD_CACHE_ERROR);
  redis().cont_signal();
}

TEST_F(RedisLoopTest, ANewLoopWithAStoppedLoopsHandleGetsAConnectionOfItsOwn) {
  start_redis();
  std::optional<fibd::test::HostLoop> host(std::in_place);
  auto c = instance({{"address", addr()}});
  ASSERT_TRUE(c->ok()) << c->create_error();
  auto get = [&] {
    auto call = host->run([&] { return c->start_get("k", 0, host->handle); });
    EXPECT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
    EXPECT_TRUE(call.waiter->wait());
    return call.waiter->result();
  };
  EXPECT_EQ(get().status, FIBD_CACHE_NOT_FOUND);
  fibd_cache_loop* first = host->handle;
  host.reset();  // the loop stops; the plugin keeps its connection for it
  host.emplace();
  ASSERT_EQ(host->handle, first) << "the new loop was expected at the old one's address";
  // The old connection cannot be driven any more: the first call fails on
  // it (or finds it already dropped), the next ones are served on the new loop.
  auto r = get();
  if (r.status == FIBD_CACHE_ERROR) {
    EXPECT_THAT(r.error, HasSubstr("event loop that has stopped"));
  }
  EXPECT_EQ(get().status, FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(get().status, FIBD_CACHE_NOT_FOUND);
}

}  // namespace
