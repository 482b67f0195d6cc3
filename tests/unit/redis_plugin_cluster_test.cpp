// fibd-test-label: threaded
//
// redis.so in cluster mode, through its C ABI, against a real Redis Cluster
// (redis_cluster_fixture.h): keys on the master that owns their slot (read
// back there directly), MOVED after one slot is moved, ASK while it
// migrates, a slot not served or a node that is gone as a miss, a node that
// hangs costing only its own slots, clear() on every master, and the
// options refused with a message naming them.
#include <set>
#include <string>

#include "key_slot.h"
#include "redis_cluster_fixture.h"
#include "redis_loop_calls.h"

namespace {

using namespace fibd_redis_test;
using fibd_redis::key_slot;

Options cluster_options(const std::string& seeds) {
  return {{"cluster_nodes", seeds},
          {"connect_timeout", "500ms"},
          {"command_timeout", "500ms"}};
}

// The stored key of plugin key `k`.
std::string stored(const std::string& k) { return "fibd:" + k; }

class RedisClusterTest : public ::testing::Test {
 protected:
  explicit RedisClusterTest(int node_timeout_ms = 1000)
      : cluster_{3, 0, node_timeout_ms} {}
  void SetUp() override {
    if (!cluster_.available()) GTEST_SKIP() << "no " << fleet_server_name();
    ASSERT_NE(plugin_.desc, nullptr) << plugin_.error;
    ASSERT_TRUE(cluster_.start()) << cluster_.problem();
  }
  GetResult on_loop(Instance& c, const std::string& key) {
    return get_on_loop(c, host_, key);
  }
  GetResult set_on_loop(Instance& c, const std::string& key, const std::string& value) {
    return fibd_redis_test::set_on_loop(c, host_, key, value);
  }
  std::unique_ptr<Instance> instance() {
    auto c = std::make_unique<Instance>(plugin_, cluster_options(cluster_.seeds()), 0,
                                        host_.services.services());
    EXPECT_TRUE(c->ok()) << c->create_error();
    return c;
  }
  // A key (hash tag `tag`) whose slot `node` serves.
  std::string key_on(const FleetNode& node, const std::string& tag) {
    for (int i = 0;; ++i) {
      const std::string k = "{" + tag + std::to_string(i) + "}";
      if (cluster_.master_of_slot(key_slot(stored(k))) == &node) return k;
    }
  }
  // Moves `slot` from `from` to `to` the way redis-cli does, in steps:
  // IMPORTING, MIGRATING, then (finish) MIGRATE of every key and NODE.
  void start_migration(int slot, FleetNode& from, FleetNode& to) {
    const std::string s = std::to_string(slot);
    ASSERT_EQ(to.cli({"CLUSTER", "SETSLOT", s, "IMPORTING", cluster_.node_id(from)}),
              "OK");
    ASSERT_EQ(from.cli({"CLUSTER", "SETSLOT", s, "MIGRATING", cluster_.node_id(to)}),
              "OK");
  }
  void migrate_key(const std::string& key, FleetNode& from, FleetNode& to) {
    ASSERT_EQ(
        from.cli({"MIGRATE", "127.0.0.1", std::to_string(to.port()), key, "0", "5000"}),
        "OK");
  }
  void finish_migration(int slot, FleetNode& to) {
    const std::string id = cluster_.node_id(to);
    for (auto& n : cluster_.nodes())
      ASSERT_EQ(n->cli({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", id}), "OK");
  }

  RedisCluster cluster_;
  Plugin plugin_;
  fibd::test::HostLoop host_;
};

TEST_F(RedisClusterTest, KeysLandOnTheMasterThatServesTheirSlot) {
  auto c = instance();
  const auto masters = cluster_.masters();
  ASSERT_EQ(masters.size(), 3u);
  EXPECT_EQ(c->stats()["cluster_nodes_known"], 3u);
  EXPECT_EQ(c->log().metric("cluster_nodes_known"), 3);
  expect_metric_is_stat(*c, "cluster_map_refreshes");
  std::set<FleetNode*> used;
  for (int i = 0; i < 40; ++i) {
    const std::string k = "n" + std::to_string(i), v = "v" + std::to_string(i);
    if (i % 2 == 0)
      ASSERT_EQ(c->set(k, v, 60000), FIBD_CACHE_OK);  // own loop
    else
      ASSERT_EQ(set_on_loop(*c, k, v).status, FIBD_CACHE_OK);  // a fibd loop
    FleetNode* owner = cluster_.master_of_slot(key_slot(stored(k)));
    ASSERT_NE(owner, nullptr);
    used.insert(owner);
    EXPECT_EQ(owner->cli({"GET", stored(k)}), v) << k;
    EXPECT_EQ(on_loop(*c, k).value, v);
    EXPECT_EQ(c->get(k).value, v);
  }
  EXPECT_EQ(used.size(), 3u);
  int stored_keys = 0;  // each key once, on its master only
  for (FleetNode* m : masters) stored_keys += std::stoi(m->cli({"DBSIZE"}));
  EXPECT_EQ(stored_keys, 40);
  EXPECT_EQ(c->stats()["cluster_redirects"], 0u);
  // Hash tags: one slot, one node, for both keys.
  ASSERT_EQ(c->set("{t}a", "1", 60000), FIBD_CACHE_OK);
  ASSERT_EQ(c->set("{t}b", "2", 60000), FIBD_CACHE_OK);
  FleetNode* tagged = cluster_.master_of_slot(key_slot("t"));
  EXPECT_EQ(tagged->cli({"GET", "fibd:{t}a"}), "1");
  EXPECT_EQ(tagged->cli({"GET", "fibd:{t}b"}), "2");
  EXPECT_EQ(c->del("{t}a"), FIBD_CACHE_OK);
  EXPECT_EQ(tagged->cli({"EXISTS", "fibd:{t}a"}), "0");
}

TEST_F(RedisClusterTest, DeadAndNonClusterSeedsArePassedOver) {
  // A plain redis-server answers CLUSTER SHARDS with an error.
  FleetNode standalone(fleet_tools(fleet_server_name()).first,
                       fleet_tools(fleet_server_name()).second, cluster_.dir(), {},
                       false);
  ASSERT_TRUE(standalone.start());
  const std::string seeds = standalone.address() +
                            ",127.0.0.1:" + std::to_string(free_port()) + "," +
                            cluster_.seeds();
  Instance c(plugin_, cluster_options(seeds));
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("cluster support disabled", FIBD_LOG_WARN));
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  EXPECT_EQ(cluster_.master_of_slot(key_slot("fibd:k"))->cli({"GET", "fibd:k"}), "v");
  EXPECT_EQ(standalone.cli({"DBSIZE"}), "0");
}

TEST_F(RedisClusterTest, MovedAfterASlotMovedIsFollowedAndTheMapRefreshed) {
  auto c = instance();
  const auto masters = cluster_.masters();
  FleetNode& from = *masters[0];
  FleetNode& to = *masters[1];
  const std::string k = key_on(from, "moved");
  const int slot = key_slot(stored(k));
  ASSERT_EQ(c->set(k, "before", 60000), FIBD_CACHE_OK);
  ASSERT_EQ(from.cli({"GET", stored(k)}), "before");
  const uint64_t refreshes = c->stats()["cluster_map_refreshes"];

  start_migration(slot, from, to);
  migrate_key(stored(k), from, to);
  finish_migration(slot, to);
  ASSERT_TRUE(cluster_.wait_healthy()) << cluster_.problem();

  // The plugin's map still says `from`: MOVED, followed at once.
  EXPECT_EQ(on_loop(*c, k).value, "before");
  EXPECT_EQ(c->stats()["cluster_redirects"], 1u);
  EXPECT_EQ(c->log().metric("cluster_redirects_moved"), 1);
  EXPECT_EQ(c->log().metric("cluster_redirects_ask"), 0);
  ASSERT_TRUE(wait_stat(*c, "cluster_map_refreshes", refreshes + 1));
  // Once the map is new, the slot goes to `to` without a redirection.
  GetResult r;
  for (int i = 0; i < 100; ++i) {
    const uint64_t redirects = c->stats()["cluster_redirects"];
    r = set_on_loop(*c, k + "x", "after");
    if (c->stats()["cluster_redirects"] == redirects) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(r.status, FIBD_CACHE_OK) << r.error;
  const uint64_t redirects = c->stats()["cluster_redirects"];
  EXPECT_EQ(on_loop(*c, k).value, "before");
  EXPECT_EQ(c->get(k).value, "before");
  EXPECT_EQ(c->stats()["cluster_redirects"], redirects);
  EXPECT_EQ(to.cli({"GET", stored(k + "x")}), "after");
  expect_metric_is_stat(*c, "cluster_map_refreshes");
  EXPECT_EQ(c->log().metric("cluster_nodes_known"), 3);
}

TEST_F(RedisClusterTest, RedirectionsAtOnceAskForOneNewMap) {
  auto c = instance();
  const auto masters = cluster_.masters();
  FleetNode& from = *masters[0];
  FleetNode& to = *masters[1];
  const std::string tag = key_on(from, "burst");
  const int slot = key_slot(stored(tag));
  constexpr int kKeys = 20;
  for (int i = 0; i < kKeys; ++i)
    ASSERT_EQ(c->set(tag + std::to_string(i), "v" + std::to_string(i), 60000),
              FIBD_CACHE_OK);
  start_migration(slot, from, to);
  for (int i = 0; i < kKeys; ++i) migrate_key(stored(tag + std::to_string(i)), from, to);
  finish_migration(slot, to);
  ASSERT_TRUE(cluster_.wait_healthy()) << cluster_.problem();
  const uint64_t refreshes = c->stats()["cluster_map_refreshes"];

  // All in one turn of the loop: kKeys MOVED replies, one round for a map.
  auto calls = host_.run([&] {
    std::vector<Started> out;
    for (int i = 0; i < kKeys; ++i)
      out.push_back(c->start_get(tag + std::to_string(i), 0, host_.handle));
    return out;
  });
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(calls[i].status, FIBD_CACHE_PENDING);
    ASSERT_TRUE(calls[i].waiter->wait());
    EXPECT_EQ(calls[i].waiter->result().value, "v" + std::to_string(i));
  }
  EXPECT_EQ(c->stats()["cluster_redirects"], static_cast<uint64_t>(kKeys));
  ASSERT_TRUE(wait_stat(*c, "cluster_map_refreshes", refreshes + 1));
  EXPECT_LE(c->stats()["cluster_map_refreshes"], refreshes + 2);
}

TEST_F(RedisClusterTest, AskDuringAMigrationIsFollowedWithAsking) {
  auto c = instance();
  const auto masters = cluster_.masters();
  FleetNode& from = *masters[0];
  FleetNode& to = *masters[1];
  const std::string tag = key_on(from, "ask");  // "{askN}": keys below share its slot
  const int slot = key_slot(stored(tag));
  ASSERT_EQ(c->set(tag + "gone", "moved-value", 60000), FIBD_CACHE_OK);
  ASSERT_EQ(c->set(tag + "stays", "old-value", 60000), FIBD_CACHE_OK);
  start_migration(slot, from, to);
  migrate_key(stored(tag + "gone"), from, to);

  // On `from` no more: ASK to `to`, which answers after ASKING.
  EXPECT_EQ(on_loop(*c, tag + "gone").value, "moved-value");
  EXPECT_EQ(c->stats()["cluster_redirects"], 1u);
  EXPECT_EQ(c->get(tag + "gone").value, "moved-value");  // own loop
  EXPECT_EQ(c->stats()["cluster_redirects"], 2u);
  // Still on `from`: served there, no redirection.
  EXPECT_EQ(on_loop(*c, tag + "stays").value, "old-value");
  EXPECT_EQ(c->stats()["cluster_redirects"], 2u);
  // A new key of the slot is written on `to`.
  EXPECT_EQ(set_on_loop(*c, tag + "new", "n").status, FIBD_CACHE_OK);
  EXPECT_EQ(c->stats()["cluster_redirects"], 3u);
  // ASK does not change the map: the slot is still `from`'s.
  EXPECT_EQ(on_loop(*c, tag + "stays").value, "old-value");
  EXPECT_EQ(c->stats()["cluster_redirects"], 3u);
  EXPECT_EQ(c->log().metric("cluster_redirects_ask"), 3);
  EXPECT_EQ(c->log().metric("cluster_redirects_moved"), 0);

  migrate_key(stored(tag + "stays"), from, to);
  finish_migration(slot, to);
  EXPECT_EQ(to.cli({"GET", stored(tag + "new")}), "n");
  EXPECT_EQ(to.cli({"GET", stored(tag + "stays")}), "old-value");
}

TEST_F(RedisClusterTest, ASlotNotServedIsAMissForGetAndAnErrorForSet) {
  auto c = instance();
  const std::string k = key_on(*cluster_.masters()[0], "down");
  ASSERT_EQ(c->set(k, "v", 60000), FIBD_CACHE_OK);
  const std::string slot = std::to_string(key_slot(stored(k)));
  for (auto& n : cluster_.nodes()) n->cli({"CLUSTER", "DELSLOTS", slot});
  // The plugin's map still names the node, which answers CLUSTERDOWN.
  GetResult r = on_loop(*c, k);
  EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;
  EXPECT_TRUE(c->log().contains("CLUSTERDOWN", FIBD_LOG_WARN));
  r = c->get(k);
  EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;
  // By the old map (CLUSTERDOWN), or by the new one the miss asked for,
  // which assigns the slot to no node.
  r = set_on_loop(*c, k, "w");
  EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
  EXPECT_THAT(r.error, ::testing::AnyOf(HasSubstr("CLUSTERDOWN"),
                                        HasSubstr("serves slot " + slot + " ")));
}

TEST_F(RedisClusterTest, AMasterThatIsGoneIsAMissForGetAndAnErrorForSet) {
  auto c = instance();
  FleetNode* victim = cluster_.masters()[0];
  const std::string k = key_on(*victim, "gone");
  const std::string elsewhere = key_on(*cluster_.masters()[1], "alive");
  ASSERT_EQ(c->set(k, "v", 60000), FIBD_CACHE_OK);
  ASSERT_EQ(c->set(elsewhere, "w", 60000), FIBD_CACHE_OK);
  victim->kill();
  for (int i = 0; i < 5; ++i) {
    GetResult r = on_loop(*c, k);
    EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;
    EXPECT_THAT(r.error, ::testing::IsEmpty());
    r = c->get(k);
    EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;
    r = set_on_loop(*c, k, "x");
    EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
    EXPECT_THAT(r.error, HasSubstr(victim->address()));
    // A node refusing connections opens no breaker: the others still hit.
    EXPECT_EQ(on_loop(*c, elsewhere).value, "w");
  }
  EXPECT_EQ(c->stats()["breaker_opens"], 0u);
}

// The cluster does not fail the node over while the test runs.
class RedisClusterHangTest : public RedisClusterTest {
 protected:
  RedisClusterHangTest() : RedisClusterTest(120000) {}
  // A get on the loop that may be refused at once (its node's breaker open).
  GetResult try_on_loop(Instance& c, const std::string& key) {
    auto call = host_.run([&] { return c.start_get(key, 0, host_.handle); });
    if (call.status != FIBD_CACHE_PENDING) return {call.status, {}, call.error};
    EXPECT_TRUE(call.waiter->wait());
    return call.waiter->result();
  }
};

TEST_F(RedisClusterHangTest, AMasterThatHangsCostsOnlyItsOwnSlots) {
  const Options o = {{"cluster_nodes", cluster_.seeds()},
                     {"connect_timeout", "500ms"},
                     {"command_timeout", "100ms"}};
  Instance c(plugin_, o, 0, host_.services.services());
  ASSERT_TRUE(c.ok()) << c.create_error();
  FleetNode* victim = cluster_.masters()[0];
  const std::string k = key_on(*victim, "hang");
  const std::string elsewhere = key_on(*cluster_.masters()[1], "fine");
  ASSERT_EQ(set_on_loop(c, k, "v").status, FIBD_CACHE_OK);
  ASSERT_EQ(set_on_loop(c, elsewhere, "w").status, FIBD_CACHE_OK);
  victim->pause();
  bool refused_at_once = false;
  for (int i = 0; i < 8; ++i) {
    // A timeout is a miss; then its breaker answers at once, until a probe.
    GetResult r = try_on_loop(c, k);
    EXPECT_THAT(r.status, ::testing::AnyOf(FIBD_CACHE_NOT_FOUND, FIBD_CACHE_ERROR));
    if (r.status == FIBD_CACHE_ERROR) {
      EXPECT_THAT(r.error, HasSubstr("cluster node " + victim->address()));
      refused_at_once = true;
    }
    // The other masters are not skipped, not once.
    r = try_on_loop(c, elsewhere);
    EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
    EXPECT_EQ(r.value, "w");
  }
  EXPECT_TRUE(refused_at_once);
  auto s = c.stats();
  EXPECT_GE(s["timeouts"], 1u);
  EXPECT_GE(s["breaker_opens"], 1u);
  EXPECT_EQ(s["cluster_nodes_breaker_open"], 1u);
  EXPECT_NE(s["breaker_state"], 0u);
  EXPECT_EQ(c.log().metric("breaker_state"), static_cast<int64_t>(s["breaker_state"]));
  victim->resume();
  // Its breaker's next probe reaches it, and its keys hit again.
  EXPECT_TRUE(wait_until(10s, [&] { return try_on_loop(c, k).value == "v"; }));
  s = c.stats();
  EXPECT_EQ(s["cluster_nodes_breaker_open"], 0u);
  EXPECT_EQ(s["breaker_state"], 0u);
  EXPECT_EQ(c.log().metric("breaker_state"), 0);
}

TEST_F(RedisClusterTest, ClearRemovesOurKeysOnEveryMasterAndNothingElse) {
  auto c = instance();
  const auto masters = cluster_.masters();
  for (FleetNode* m : masters) {
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(c->set(key_on(*m, "c" + std::to_string(i) + "x"), "v", 60000),
                FIBD_CACHE_OK);
    ASSERT_EQ(m->cli({"DBSIZE"}), "3");
  }
  // Not ours: a key outside key_prefix on one master.
  FleetNode* owner = cluster_.master_of_slot(key_slot("other"));
  ASSERT_EQ(owner->cli({"SET", "other", "keep"}), "OK");
  ASSERT_EQ(c->clear(), FIBD_CACHE_OK) << (report("clear", *c), "");
  for (FleetNode* m : masters)
    EXPECT_EQ(m->cli({"DBSIZE"}), m == owner ? "1" : "0") << m->address();
  EXPECT_EQ(owner->cli({"GET", "other"}), "keep");
}

TEST(RedisClusterOptions, BadOptionsFailNamingThem) {
  expect_refused({
      {{{"address", "127.0.0.1:6379"}, {"cluster_nodes", "127.0.0.1:7000"}},
       {"'address'", "'cluster_nodes'", "mutually exclusive"}},
      {{{"sentinels", "127.0.0.1:26379"},
        {"master_name", "m"},
        {"cluster_nodes", "127.0.0.1:7000"}},
       {"'sentinels'", "'cluster_nodes'", "mutually exclusive"}},
      {{{"cluster_nodes", "127.0.0.1:7000"}, {"db", "1"}}, {"option 'db'", "cluster"}},
      {{{"cluster_nodes", "127.0.0.1:7000,"}}, {"option 'cluster_nodes'", "empty"}},
      {{{"cluster_nodes", "127.0.0.1:7000,[::1]"}}, {"option 'cluster_nodes'", "[::1]"}},
      {{{"cluster_nodes", "::1:7000"}}, {"option 'cluster_nodes'", "brackets"}},
      {{{"cluster_nodes", "127.0.0.1:7000"}, {"master_name", "m"}},
       {"option 'master_name' needs option 'sentinels'"}},
  });
  // A list with IPv6 entries is accepted (no node answers: create still
  // succeeds, with a warning).
  Plugin plugin;
  ASSERT_NE(plugin.desc, nullptr) << plugin.error;
  Instance v6(plugin,
              {{"cluster_nodes", "[::1]:" + std::to_string(free_port()) +
                                     ", 127.0.0.1:" + std::to_string(free_port())},
               {"connect_timeout", "100ms"}});
  ASSERT_TRUE(v6.ok()) << v6.create_error();
  EXPECT_TRUE(v6.log().contains("no slot map", FIBD_LOG_WARN));
  EXPECT_EQ(v6.get("k").status, FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(v6.set("k", "v", 1000), FIBD_CACHE_ERROR);
  EXPECT_EQ(v6.clear(), FIBD_CACHE_ERROR);
}

}  // namespace
