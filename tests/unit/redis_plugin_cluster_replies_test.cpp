// fibd-test-label: threaded
//
// redis.so in cluster mode against replies a healthy cluster does not send,
// from a scripted fake node (scripted_redis.h): CLUSTER SLOTS asked where
// CLUSTER SHARDS is unknown, a slot map that is no map refused with its
// reason, a redirection that does not parse and one that redirects again
// answered as a miss. Nothing crashes, every call completes.
#include <atomic>
#include <mutex>
#include <string_view>
#include <tuple>

#include "key_slot.h"
#include "redis_cluster_fixture.h"
#include "redis_loop_calls.h"
#include "scripted_redis.h"

namespace {

using namespace fibd_redis_test;

using Command = std::vector<std::string>;

bool is(const Command& cmd, std::string_view a, std::string_view b = {}) {
  return !cmd.empty() && cmd[0] == a && (b.empty() || (cmd.size() > 1 && cmd[1] == b));
}

std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A CLUSTER SLOTS reply: [first, last, [host, port]] per range.
std::string slots_reply(const std::vector<std::tuple<int, int, int>>& ranges) {
  std::string out = "*" + std::to_string(ranges.size()) + "\r\n";
  for (auto [first, last, port] : ranges)
    out += "*3\r\n:" + std::to_string(first) + "\r\n:" + std::to_string(last) +
           "\r\n*2\r\n" + bulk("127.0.0.1") + ":" + std::to_string(port) + "\r\n";
  return out;
}

const std::string kUnknownShards =
    "-ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.\r\n";

Options options(const std::string& seeds) {
  return {{"cluster_nodes", seeds},
          {"connect_timeout", "500ms"},
          {"command_timeout", "500ms"}};
}

class ClusterRepliesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(plugin_.desc, nullptr) << plugin_.error; }
  // A fake node at a free port, answering `answer`.
  std::unique_ptr<ScriptedRedis> fake(ScriptedRedis::Answer answer) {
    port_ = free_port();
    auto f = std::make_unique<ScriptedRedis>(port_, "", std::move(answer));
    EXPECT_TRUE(f->listening());
    return f;
  }
  std::string fake_address() const { return "127.0.0.1:" + std::to_string(port_); }

  Plugin plugin_;
  fibd::test::HostLoop host_;
  int port_ = 0;
};

TEST_F(ClusterRepliesTest, ClusterSlotsWhereShardsIsUnknownPointsAtTheRealNodes) {
  RedisCluster cluster(3, 0);
  if (!cluster.available()) GTEST_SKIP() << "no " << fleet_server_name();
  ASSERT_TRUE(cluster.start()) << cluster.problem();
  std::vector<std::tuple<int, int, int>> ranges;
  for (const auto& row : cluster.cluster_nodes())
    for (auto [first, last] : row.slots) ranges.emplace_back(first, last, row.port);
  auto node = fake([&](const Command& cmd) {
    if (is(cmd, "CLUSTER", "SHARDS")) return kUnknownShards;
    if (is(cmd, "CLUSTER", "SLOTS")) return slots_reply(ranges);
    return std::string("-ERR not here\r\n");
  });
  Instance c(plugin_, options(fake_address()), 0, host_.services.services());
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_EQ(c.stats()["cluster_nodes_known"], 3u);
  for (int i = 0; i < 20; ++i) {
    const std::string k = "s" + std::to_string(i);
    ASSERT_EQ(set_on_loop(c, host_, k, "v").status, FIBD_CACHE_OK);
    FleetNode* owner = cluster.master_of_slot(fibd_redis::key_slot("fibd:" + k));
    EXPECT_EQ(owner->cli({"GET", "fibd:" + k}), "v");
  }
}

TEST_F(ClusterRepliesTest, AMapThatIsNoMapIsRefusedWithItsReason) {
  // Overlapping ranges, a port out of range, a slot past 16383, wrong types.
  const std::vector<std::string> bad = {
      slots_reply({{0, 16383, 7000}, {100, 200, 7001}}),
      slots_reply({{0, 16383, 70000}}),
      slots_reply({{0, 16384, 7000}}),
      "*1\r\n:5\r\n",
      "+OK\r\n",
  };
  for (const std::string& reply : bad) {
    auto node = fake([&](const Command& cmd) {
      if (is(cmd, "CLUSTER", "SHARDS")) return kUnknownShards;
      return reply;
    });
    Instance c(plugin_, options(fake_address()));
    ASSERT_TRUE(c.ok()) << c.create_error();
    EXPECT_TRUE(c.log().contains("CLUSTER SLOTS reply is refused", FIBD_LOG_WARN))
        << reply;
    EXPECT_TRUE(c.log().contains("no slot map", FIBD_LOG_WARN)) << reply;
    EXPECT_EQ(c.stats()["cluster_maps_refused"], 1u) << reply;
    EXPECT_EQ(c.stats()["cluster_nodes_known"], 0u) << reply;
    EXPECT_EQ(c.get("k").status, FIBD_CACHE_NOT_FOUND);
  }
}

TEST_F(ClusterRepliesTest, BadAndRepeatedRedirectionsAreMissesNotErrors) {
  std::atomic<int> gets{0};
  std::mutex mu;
  std::string redirect;  // what a GET or SET gets, under mu
  auto node = fake([&](const Command& cmd) {
    if (is(cmd, "CLUSTER", "SHARDS")) return kUnknownShards;
    if (is(cmd, "CLUSTER", "SLOTS")) return slots_reply({{0, 16383, port_}});
    if (is(cmd, "GET") || is(cmd, "SET")) {
      ++gets;
      std::lock_guard lock(mu);
      return redirect;
    }
    return std::string("-ERR not here\r\n");
  });
  const int slot = fibd_redis::key_slot("fibd:k");
  const std::string self = std::to_string(slot) + " " + fake_address();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-MOVED " + self + "\r\n", "redirected twice"},  // to itself, again
      {"-ASK " + self + "\r\n", "redirected twice"},
      {"-MOVED 99999 127.0.0.1:7000\r\n", "refused"},
      {"-MOVED " + std::to_string(slot) + " 127.0.0.1:0\r\n", "refused"},
      {"-ASK nonsense\r\n", "refused"},
      {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", "TRYAGAIN"},
      {"-MASTERDOWN Link with MASTER is down\r\n", "MASTERDOWN"},
  };
  for (const auto& [reply, logged] : cases) {
    {
      std::lock_guard lock(mu);
      redirect = reply;
    }
    Instance c(plugin_, options(fake_address()), 0, host_.services.services());
    ASSERT_TRUE(c.ok()) << c.create_error();
    const int before = gets.load();
    GetResult r = get_on_loop(c, host_, "k");
    EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << reply << r.error;
    EXPECT_TRUE(c.log().contains(logged, FIBD_LOG_WARN)) << reply;
    r = c.get("k");
    EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << reply << r.error;
    r = set_on_loop(c, host_, "k", "v");
    EXPECT_EQ(r.status, FIBD_CACHE_ERROR) << reply;
    EXPECT_FALSE(r.error.empty());
    // At most one redirection followed per call (and ASK's ASKING first).
    EXPECT_LE(gets.load() - before, 6) << reply;
  }
}

}  // namespace
