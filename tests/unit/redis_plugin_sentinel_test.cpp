// fibd-test-label: threaded
//
// redis.so in sentinel mode, through its C ABI, against a real Sentinel
// group (1 master, 1 replica, 3 sentinels; redis_sentinel_fixture.h): the
// master found through the sentinels, a failover followed (calls made on a
// fibd loop and on the plugin's own loop), no write to the old master once
// it is back as a replica, sentinels that are down or answer nonsense
// passed over, and the options refused with a message naming them.
#include "redis_loop_calls.h"
#include "redis_sentinel_fixture.h"

namespace {

using namespace fibd_redis_test;

// rejected_calls of SET on `node` (a replica refuses a write with READONLY
// and counts it there).
std::string rejected_sets(const FleetNode& node) {
  const std::string stat = node.fields({"INFO", "commandstats"})["cmdstat_set"];
  const size_t at = stat.find("rejected_calls=");
  if (at == std::string::npos) return "0";
  return stat.substr(at + 15, stat.find(',', at) - at - 15);
}

Options sentinel_options(const std::string& sentinels) {
  return {{"sentinels", sentinels},
          {"master_name", SentinelGroup::kMasterName},
          {"connect_timeout", "500ms"},
          {"command_timeout", "500ms"}};
}

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!group_.available()) GTEST_SKIP() << "no " << fleet_server_name();
    ASSERT_NE(plugin_.desc, nullptr) << plugin_.error;
    ASSERT_TRUE(group_.start()) << group_.problem();
  }

  SentinelGroup group_;
  Plugin plugin_;
  fibd::test::HostLoop host_;
};

TEST_F(RedisSentinelTest, FollowsAFailoverAndNeverWritesToTheOldMaster) {
  FleetNode* old = group_.master();
  ASSERT_NE(old, nullptr);
  Instance c(plugin_, sentinel_options(group_.sentinels_option()), 0,
             host_.services.services());
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains(old->address(), FIBD_LOG_INFO));
  EXPECT_EQ(c.log().metric("sentinel_master_changes"), 0);  // the first is no change
  EXPECT_GE(c.log().metric("sentinel_rounds"), 1);
  ASSERT_EQ(c.set("k", "v1", 60000), FIBD_CACHE_OK);
  EXPECT_EQ(old->cli({"GET", "fibd:k"}), "v1");
  EXPECT_EQ(get_on_loop(c, host_, "k").value, "v1");

  old->kill();
  FleetNode* next = group_.wait_failover(*old);
  ASSERT_NE(next, nullptr) << group_.problem();
  // Calls fail (fibd computes) until the plugin follows, then hit again.
  auto took = wait_for_hit(c, 30s);
  ASSERT_TRUE(took.has_value()) << "the plugin did not follow the failover";
  report("hit on the new master after " + std::to_string(took->count()) + "ms", c);
  EXPECT_GE(c.log().metric("sentinel_master_changes"), 1);
  EXPECT_GE(c.log().metric("sentinel_rounds"), 2);
  expect_metric_is_stat(c, "sentinel_master_changes");
  ASSERT_EQ(c.set("after", "v2", 60000), FIBD_CACHE_OK);
  EXPECT_EQ(next->cli({"GET", "fibd:after"}), "v2");
  GetResult r{FIBD_CACHE_ERROR, {}, {}};
  for (int i = 0; i < 100 && r.status != FIBD_CACHE_HIT; ++i) {
    r = get_on_loop(c, host_, "after");
    if (r.status != FIBD_CACHE_HIT) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(r.value, "v2") << r.error;

  // The old master comes back, as a replica of the new one: nothing the
  // plugin writes goes there (it would be refused and counted).
  ASSERT_TRUE(old->restart());
  ASSERT_TRUE(group_.wait_replica_of(*old, *next)) << group_.problem();
  const std::string rejected = rejected_sets(*old);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(c.set("w" + std::to_string(i), "x", 60000), FIBD_CACHE_OK);
    auto set = host_.run([&] {
      return c.start_set("l" + std::to_string(i), "y", 60000, 0, host_.handle);
    });
    ASSERT_TRUE(set.waiter->wait());
    EXPECT_EQ(set.waiter->result().status, FIBD_CACHE_OK) << set.waiter->result().error;
  }
  EXPECT_EQ(next->cli({"GET", "fibd:w49"}), "x");
  EXPECT_EQ(rejected_sets(*old), rejected);
}

TEST_F(RedisSentinelTest, SentinelsThatAreDownOrAnswerNonsenseArePassedOver) {
  // First a port nothing listens on, then the replica (a Redis that is no
  // sentinel: it answers SENTINEL with an error), then the real sentinels.
  const std::string dead = "127.0.0.1:" + std::to_string(free_port());
  const std::string list =
      dead + "," + group_.data_nodes()[1]->address() + "," + group_.sentinels_option();
  Instance c(plugin_, sentinel_options(list));
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  EXPECT_EQ(group_.master()->cli({"GET", "fibd:k"}), "v");
  EXPECT_EQ(c.get("k").value, "v");
}

TEST_F(RedisSentinelTest, NoSentinelAnswersThenCreateStillSucceeds) {
  const std::string dead = "127.0.0.1:" + std::to_string(free_port());
  Instance c(plugin_, sentinel_options(dead));
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("no master", FIBD_LOG_WARN));
  auto r = c.get("k");
  EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
  EXPECT_THAT(r.error, HasSubstr("master"));
}

TEST(RedisSentinelOptions, BadOptionsFailNamingTheOption) {
  expect_refused({
      {{{"address", "127.0.0.1:6379"}, {"sentinels", "127.0.0.1:26379"}},
       {"'address'", "'sentinels'", "mutually exclusive"}},
      {{{"sentinels", "127.0.0.1:26379"}}, {"'master_name'"}},
      {{{"master_name", "fibd"}}, {"option 'master_name' needs option 'sentinels'"}},
      {{{"sentinels", "127.0.0.1:26379,"}, {"master_name", "m"}}, {"option 'sentinels'"}},
      {{{"sentinels", "[::1]"}, {"master_name", "m"}}, {"option 'sentinels'", "[::1]"}},
      {{{"sentinels", "::1:26379"}, {"master_name", "m"}}, {"brackets"}},
      {{{"sentinels", "127.0.0.1:26379"},
        {"master_name", "m"},
        {"sentinel_username", "u"}},
       {"'sentinel_username'", "'sentinel_password'"}},
      {{{"sentinel_password", "p"}},
       {"option 'sentinel_password' needs option 'sentinels'"}},
  });
}

}  // namespace
