// fibd-test-label: threaded
//
// redis.so's asynchronous get and set through the C ABI, against real
// redis-server processes: completion exactly once from the plugin's own
// loop, many calls pipelined at once, a deadline already passed, cancel(),
// and destroy() with calls in flight. No timed asserts: a call that should end
// must end (within a generous liveness limit), with the right status.
#include "redis_plugin_harness.h"

namespace {

using namespace fibd_redis_test;

TEST_F(RedisPluginTest, PendingCallsCompleteOnceFromThePluginsOwnLoop) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  auto miss = c.start_get("1");
  ASSERT_EQ(miss.status, FIBD_CACHE_PENDING) << miss.error;
  ASSERT_TRUE(miss.waiter->wait());
  EXPECT_EQ(miss.waiter->result().status, FIBD_CACHE_NOT_FOUND);
  EXPECT_NE(miss.waiter->thread(), std::this_thread::get_id());

  auto set = c.start_set("1", std::string("o\0ne", 4), 60000);
  ASSERT_EQ(set.status, FIBD_CACHE_PENDING) << set.error;
  ASSERT_TRUE(set.waiter->wait());
  EXPECT_EQ(set.waiter->result().status, FIBD_CACHE_OK);

  auto hit = c.start_get("1");
  ASSERT_EQ(hit.status, FIBD_CACHE_PENDING) << hit.error;
  ASSERT_TRUE(hit.waiter->wait());
  EXPECT_EQ(hit.waiter->result().status, FIBD_CACHE_HIT);
  EXPECT_EQ(hit.waiter->result().value, std::string("o\0ne", 4));
  // All three came from the same thread: the plugin's own loop.
  EXPECT_EQ(hit.waiter->thread(), miss.waiter->thread());
  EXPECT_EQ(set.waiter->thread(), miss.waiter->thread());

  std::this_thread::sleep_for(100ms);  // room for a wrong second completion
  EXPECT_EQ(miss.waiter->count(), 1);
  EXPECT_EQ(set.waiter->count(), 1);
  EXPECT_EQ(hit.waiter->count(), 1);
  EXPECT_EQ(c.stats()["pending_calls"], 0u);
}

TEST_F(RedisPluginTest, ThousandCallsInFlightArePipelined) {
  start_redis();
  Instance c(
      plugin_,
      {{"address", addr()}, {"command_timeout", "30s"}, {"connect_timeout", "30s"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::vector<Started> sets;
  for (int i = 0; i < 100; ++i)
    sets.push_back(c.start_set("k" + std::to_string(i), "v" + std::to_string(i), 60000));
  for (auto& s : sets) {
    ASSERT_EQ(s.status, FIBD_CACHE_PENDING) << s.error;
    ASSERT_TRUE(s.waiter->wait());
    ASSERT_EQ(s.waiter->result().status, FIBD_CACHE_OK) << s.waiter->result().error;
  }
  // 1000 gets started before any is waited for; every tenth misses.
  std::vector<Started> gets;
  for (int i = 0; i < 1000; ++i)
    gets.push_back(c.start_get(i % 10 == 9 ? "absent" + std::to_string(i)
                                           : "k" + std::to_string(i % 100)));
  int hits = 0, misses = 0, wrong = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(gets[i].status, FIBD_CACHE_PENDING) << gets[i].error;
    ASSERT_TRUE(gets[i].waiter->wait());
    auto r = gets[i].waiter->result();
    if (i % 10 == 9) {
      misses += r.status == FIBD_CACHE_NOT_FOUND;
    } else if (r.status == FIBD_CACHE_HIT) {
      ++hits;
      wrong += r.value != "v" + std::to_string(i % 100);
    }
  }
  EXPECT_EQ(hits, 900);
  EXPECT_EQ(misses, 100);
  EXPECT_EQ(wrong, 0);
  for (auto& g : gets) EXPECT_EQ(g.waiter->count(), 1);
  auto s = c.stats();
  EXPECT_EQ(s["connections"], 1u);
  EXPECT_EQ(s["in_flight"], 0u);
  EXPECT_EQ(s["errors"], 0u);
}

TEST_F(RedisPluginTest, CallWhoseDeadlineHasPassedIsGivenUpAtOnce) {
  start_redis();
  // A call still waiting at its deadline is the host's to cancel (see the
  // cancel tests); one whose deadline has passed before it is made never
  // reaches Redis.
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "20s"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  // A call whose deadline has passed already is given up at once: nobody
  // waits for it (the host cancels it next), so it completes CANCELLED.
  auto late = c.start_get("k", steady_ns() - 1);
  ASSERT_EQ(late.status, FIBD_CACHE_PENDING) << late.error;
  EXPECT_EQ(late.waiter->count(), 1);
  EXPECT_EQ(late.waiter->result().status, FIBD_CACHE_CANCELLED);
  c.cancel(late.call_id);
  EXPECT_EQ(late.waiter->count(), 1);
  EXPECT_EQ(c.stats()["deadline_expired"], 1u);
}

TEST_F(RedisPluginTest, CancelCompletesOnceAndTheLateReplyIsIgnored) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "20s"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  redis().stop_signal();
  auto get = c.start_get("k");
  auto set = c.start_set("k", "w", 60000);
  ASSERT_EQ(get.status, FIBD_CACHE_PENDING) << get.error;
  ASSERT_EQ(set.status, FIBD_CACHE_PENDING) << set.error;
  c.cancel(get.call_id);
  c.cancel(set.call_id);
  // cancel() completes the call itself, before it returns.
  EXPECT_EQ(get.waiter->count(), 1);
  EXPECT_EQ(set.waiter->count(), 1);
  EXPECT_EQ(get.waiter->result().status, FIBD_CACHE_CANCELLED);
  EXPECT_EQ(set.waiter->result().status, FIBD_CACHE_CANCELLED);
  EXPECT_EQ(get.waiter->thread(), std::this_thread::get_id());
  c.cancel(get.call_id);  // again, and an id never used: ignored
  c.cancel(987654321);
  redis().cont_signal();
  EXPECT_TRUE(wait_stat(c, "late_replies", 2));
  EXPECT_EQ(get.waiter->count(), 1);
  EXPECT_EQ(set.waiter->count(), 1);
  auto s = c.stats();
  EXPECT_EQ(s["cancelled"], 2u);
  EXPECT_EQ(s["pending_calls"], 0u);
}

TEST_F(RedisPluginTest, DestroyCompletesEveryCallInFlightFirst) {
  start_redis();
  auto c = std::make_unique<Instance>(
      plugin_, Options{{"address", addr()}, {"command_timeout", "20s"}});
  ASSERT_TRUE(c->ok()) << c->create_error();
  ASSERT_EQ(c->set("k", "v", 60000), FIBD_CACHE_OK);
  redis().stop_signal();
  std::vector<Started> calls;
  for (int i = 0; i < 50; ++i) {
    calls.push_back(c->start_get("k"));
    calls.push_back(c->start_set("k" + std::to_string(i), "v", 60000));
  }
  for (auto& call : calls) ASSERT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
  c.reset();  // destroy()
  for (auto& call : calls) {
    EXPECT_EQ(call.waiter->count(), 1) << "not completed before destroy() returned";
    EXPECT_EQ(call.waiter->result().status, FIBD_CACHE_ERROR);
    EXPECT_THAT(call.waiter->result().error, HasSubstr("destroyed"));
  }
  redis().cont_signal();
}

TEST_F(RedisPluginTest, CallWithoutCompletionIsRefused) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  fibd_cache_call call{};
  call.struct_size = sizeof call;
  call.call_id = 1;
  char err[256] = "";
  std::string key = "1";
  EXPECT_EQ(
      plugin_.desc->get(c.raw(), &call, key.data(), key.size(), nullptr, err, sizeof err),
      FIBD_CACHE_ERROR);
  EXPECT_THAT(std::string(err), HasSubstr("completion"));
}

}  // namespace
