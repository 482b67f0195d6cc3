// The Redis Cluster and Sentinel fixtures (redis_cluster_fixture.h,
// redis_sentinel_fixture.h) proven on their own: the cluster really forms,
// fails over and reshards, the sentinels really fail over and the old master
// really comes back as a replica. On the live cluster, redis.so's cluster
// parts read what the servers really answer: key slots against CLUSTER
// KEYSLOT, the slot map from CLUSTER SHARDS and CLUSTER SLOTS against
// CLUSTER NODES (also after a failover and a reshard), MOVED and ASK.
#include <hiredis/hiredis.h>

#include "key_slot.h"
#include "redirect.h"
#include "redis_cluster_fixture.h"
#include "redis_sentinel_fixture.h"
#include "reply_tree.h"
#include "slot_map.h"

namespace fibd_redis_test {
namespace {

using fibd_redis::classify_reply_error;
using fibd_redis::ClusterNode;
using fibd_redis::ReplyErrorKind;

// One command on a fresh connection to 127.0.0.1:port.
ReplyPtr command(int port, std::vector<std::string> args) {
  std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnect("127.0.0.1", port),
                                                        &redisFree);
  if (c == nullptr || c->err != 0) return nullptr;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.c_str());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
      c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
}

// Every slot's master in `map` is what CLUSTER NODES says.
void expect_map_matches(const RedisCluster& cluster, const fibd_redis::SlotMapResult& r) {
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->assigned_slots(), 16384u);
  const auto rows = cluster.cluster_nodes();
  for (int slot = 0; slot < 16384; ++slot) {
    const ClusterNode* node = r.map->node_for_slot(static_cast<uint16_t>(slot));
    ASSERT_NE(node, nullptr) << slot;
    const auto owner = std::find_if(rows.begin(), rows.end(), [slot](const auto& row) {
      return row.flags.count("master") && row.serves(slot);
    });
    ASSERT_NE(owner, rows.end()) << slot;
    ASSERT_EQ(*node, (ClusterNode{"127.0.0.1", static_cast<uint16_t>(owner->port)}))
        << slot;
  }
}

void expect_parsers_match(const RedisCluster& cluster, const FleetNode& via) {
  auto shards = command(via.port(), {"CLUSTER", "SHARDS"});
  ASSERT_NE(shards, nullptr);
  expect_map_matches(cluster,
                     fibd_redis::parse_cluster_shards(shards.get(), "127.0.0.1"));
  auto slots = command(via.port(), {"CLUSTER", "SLOTS"});
  ASSERT_NE(slots, nullptr);
  expect_map_matches(cluster, fibd_redis::parse_cluster_slots(slots.get(), "127.0.0.1"));
}

TEST(RedisClusterFixture, FormsFailsOverAndReshards) {
  RedisCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << "no " << fleet_server_name();
  ASSERT_TRUE(cluster.start()) << cluster.problem();
  ASSERT_EQ(cluster.masters().size(), 3u);
  for (FleetNode* m : cluster.masters()) EXPECT_EQ(cluster.replicas_of(*m).size(), 1u);

  // Slots: ours and the server's agree, hash tags included.
  for (int i = 0; i < 300; ++i) {
    for (const std::string& key :
         {"fibd:" + std::to_string(i), "{t" + std::to_string(i) + "}x",
          "a{}" + std::to_string(i), "{}{" + std::to_string(i) + "}"}) {
      const auto theirs =
          command(cluster.any_live()->port(), {"CLUSTER", "KEYSLOT", key});
      ASSERT_NE(theirs, nullptr);
      EXPECT_EQ(fibd_redis::key_slot(key), theirs->integer) << key;
    }
  }
  expect_parsers_match(cluster, *cluster.nodes()[0]);

  // A key on the wrong master: a real MOVED to the right one.
  const std::string key = "fibd:90";
  const int slot = fibd_redis::key_slot(key);
  FleetNode* owner = cluster.master_of_slot(slot);
  ASSERT_NE(owner, nullptr);
  FleetNode* other = nullptr;
  for (FleetNode* m : cluster.masters())
    if (m != owner) other = m;
  auto moved = command(other->port(), {"SET", key, "v"});
  ASSERT_NE(moved, nullptr);
  ASSERT_EQ(moved->type, REDIS_REPLY_ERROR);
  auto e = classify_reply_error({moved->str, moved->len}, "127.0.0.1");
  EXPECT_EQ(e.kind, ReplyErrorKind::kMoved);
  EXPECT_EQ(e.slot, slot);
  EXPECT_EQ(e.node.port, owner->port());
  auto set = command(owner->port(), {"SET", key, "v"});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->type, REDIS_REPLY_STATUS);

  // The master dies: its replica takes its slots, with the data.
  const auto replicas = cluster.replicas_of(*owner);
  ASSERT_EQ(replicas.size(), 1u);
  ASSERT_TRUE(owner->wait_replicated(*replicas[0]));
  owner->kill();
  FleetNode* promoted = cluster.wait_failover(*owner);
  ASSERT_NE(promoted, nullptr) << cluster.problem();
  EXPECT_EQ(promoted, replicas[0]);
  EXPECT_EQ(promoted->role(), "master");
  EXPECT_EQ(promoted->cli({"GET", key}), "v");
  expect_parsers_match(cluster, *promoted);  // the dead master is still listed
  ASSERT_TRUE(owner->restart());
  ASSERT_TRUE(cluster.wait_healthy()) << cluster.problem();
  EXPECT_EQ(owner->role(), "slave");
  expect_parsers_match(cluster, *owner);

  // A slot being migrated: a real ASK for a key not yet moved.
  FleetNode* target = other;
  const std::string src_id = cluster.node_id(*promoted),
                    dst_id = cluster.node_id(*target);
  const std::string s = std::to_string(slot);
  ASSERT_EQ(target->cli({"CLUSTER", "SETSLOT", s, "IMPORTING", src_id}), "OK");
  ASSERT_EQ(promoted->cli({"CLUSTER", "SETSLOT", s, "MIGRATING", dst_id}), "OK");
  auto ask = command(promoted->port(), {"GET", "{fibd:90}missing"});
  ASSERT_NE(ask, nullptr);
  ASSERT_EQ(ask->type, REDIS_REPLY_ERROR);
  e = classify_reply_error({ask->str, ask->len}, "127.0.0.1");
  EXPECT_EQ(e.kind, ReplyErrorKind::kAsk);
  EXPECT_EQ(e.slot, slot);
  EXPECT_EQ(e.node.port, target->port());
  ASSERT_EQ(target->cli({"CLUSTER", "SETSLOT", s, "STABLE"}), "OK");
  ASSERT_EQ(promoted->cli({"CLUSTER", "SETSLOT", s, "STABLE"}), "OK");

  // redis-cli --cluster reshard: 100 slots, with their keys, to another master.
  int first_slot = -1;
  for (const auto& r : cluster.cluster_nodes())
    if (r.port == promoted->port()) first_slot = r.slots.front().first;
  ASSERT_GE(first_slot, 0);
  ASSERT_TRUE(cluster.reshard(*promoted, *target, 100)) << cluster.problem();
  EXPECT_EQ(cluster.master_of_slot(first_slot), target);
  EXPECT_EQ(cluster.master_of_slot(slot)->cli({"GET", key}), "v");
  expect_parsers_match(cluster, *target);
}

TEST(SentinelGroupFixture, FailsOverAndTheOldMasterRejoinsAsAReplica) {
  SentinelGroup group;
  if (!group.available()) GTEST_SKIP() << "no " << fleet_server_name();
  ASSERT_TRUE(group.start()) << group.problem();
  FleetNode* old = group.master();
  ASSERT_EQ(old, group.data_nodes()[0]);
  EXPECT_EQ(old->role(), "master");
  FleetNode* replica = group.data_nodes()[1];
  EXPECT_EQ(replica->role(), "slave");
  EXPECT_EQ(old->cli({"SET", "fixture:k", "v1"}), "OK");
  ASSERT_TRUE(old->wait_replicated(*replica));

  old->kill();
  FleetNode* next = group.wait_failover(*old);
  ASSERT_EQ(next, replica) << group.problem();
  EXPECT_EQ(next->cli({"GET", "fixture:k"}), "v1");

  ASSERT_TRUE(old->restart());
  ASSERT_TRUE(group.wait_replica_of(*old, *next)) << group.problem();
  EXPECT_EQ(group.master(), next);
  EXPECT_THAT(old->cli({"SET", "fixture:k", "v3"}), HasSubstr("READONLY"));
}

}  // namespace
}  // namespace fibd_redis_test
