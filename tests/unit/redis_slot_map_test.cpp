// The Redis Cluster slot map (plugins/redis/slot_map.h) from CLUSTER SHARDS
// and CLUSTER SLOTS replies: what real Redis 7 servers answered (the fuzz
// seeds), hand-made RESP2 and RESP3 trees, and every way a hostile reply can
// be wrong, each refused whole with a reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "reply_tree.h"
#include "slot_map.h"

namespace {

using fibd_redis::ClusterNode;
using fibd_redis::parse_cluster_shards;
using fibd_redis::parse_cluster_slots;
using fibd_redis::SlotMap;
using fibd_redis::SlotMapResult;
using fibd_redis_test::read_reply;
using fibd_redis_test::ReplyTree;
using ::testing::HasSubstr;

std::string seed(const std::string& name) {
  std::ifstream f(std::string(FIBD_SOURCE_DIR) + "/tests/fuzz/corpus/cluster_map/" + name,
                  std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The three masters of the cluster the seeds were read from.
void expect_seed_cluster(const SlotMapResult& r) {
  ASSERT_TRUE(r.map) << r.error;
  const SlotMap& m = *r.map;
  EXPECT_EQ(m.assigned_slots(), 16384u);
  EXPECT_EQ(m.nodes().size(), 3u);
  EXPECT_EQ(*m.node_for_slot(0), (ClusterNode{"127.0.0.1", 17101}));
  EXPECT_EQ(*m.node_for_slot(5460), (ClusterNode{"127.0.0.1", 17101}));
  EXPECT_EQ(*m.node_for_slot(5461), (ClusterNode{"127.0.0.1", 17102}));
  EXPECT_EQ(*m.node_for_slot(10922), (ClusterNode{"127.0.0.1", 17102}));
  EXPECT_EQ(*m.node_for_slot(10923), (ClusterNode{"127.0.0.1", 17103}));
  EXPECT_EQ(*m.node_for_slot(16383), (ClusterNode{"127.0.0.1", 17103}));
  EXPECT_EQ(m.node_for_slot(16384), nullptr);
}

TEST(SlotMap, RealClusterShardsResp2) {
  const auto reply = read_reply(seed("shards-resp2"));
  ASSERT_NE(reply, nullptr);
  expect_seed_cluster(parse_cluster_shards(reply.get(), "127.0.0.1"));
}

TEST(SlotMap, RealClusterSlotsResp2) {
  const auto reply = read_reply(seed("slots-resp2"));
  ASSERT_NE(reply, nullptr);
  expect_seed_cluster(parse_cluster_slots(reply.get(), "127.0.0.1"));
}

TEST(SlotMap, RealClusterResp3) {
  const auto shards = read_reply(seed("shards-resp3"));
  const auto slots = read_reply(seed("slots-resp3"));
  if (shards == nullptr) GTEST_SKIP() << "this hiredis reads no RESP3 (0.14)";
  ASSERT_NE(slots, nullptr);
  expect_seed_cluster(parse_cluster_shards(shards.get(), "127.0.0.1"));
  expect_seed_cluster(parse_cluster_slots(slots.get(), "127.0.0.1"));
}

TEST(SlotMap, EmptyMapHasNoNodeForAnySlot) {
  const SlotMap m;
  EXPECT_EQ(m.assigned_slots(), 0u);
  EXPECT_EQ(m.node_for_slot(0), nullptr);
  EXPECT_FALSE(m.index_for_slot(16383));
}

// ---------------------------------------------------------------- CLUSTER SHARDS

// A shard node as Redis 7 describes it, as a RESP3 map or RESP2 array.
struct NodeSpec {
  std::string role = "master";
  long long port = 7000;
  std::string endpoint = "127.0.0.1";
  std::string ip = "127.0.0.1";
  std::string health = "online";
  bool nil_endpoint = false;
};

redisReply* shard_node(ReplyTree& t, const NodeSpec& n, bool resp3) {
  std::vector<redisReply*> kv = {t.str("id"),
                                 t.str("e10b7051d6bf2d5febd39a2be297bbaea6084111"),
                                 t.str("port"),
                                 t.integer(n.port),
                                 t.str("ip"),
                                 t.str(n.ip),
                                 t.str("endpoint"),
                                 n.nil_endpoint ? t.nil() : t.str(n.endpoint),
                                 t.str("role"),
                                 t.str(n.role),
                                 t.str("replication-offset"),
                                 t.integer(72156),
                                 t.str("health"),
                                 t.str(n.health)};
  return resp3 ? t.map(kv) : t.array(kv);
}

redisReply* shard(ReplyTree& t, std::vector<long long> slots, std::vector<NodeSpec> nodes,
                  bool resp3) {
  std::vector<redisReply*> s, ns;
  for (long long v : slots) s.push_back(t.integer(v));
  for (const auto& n : nodes) ns.push_back(shard_node(t, n, resp3));
  std::vector<redisReply*> kv = {t.str("slots"), t.array(s), t.str("nodes"), t.array(ns)};
  return resp3 ? t.map(kv) : t.array(kv);
}

NodeSpec master(long long port) { return NodeSpec{.port = port}; }
NodeSpec replica(long long port) { return NodeSpec{.role = "replica", .port = port}; }

class Shards : public ::testing::TestWithParam<bool> {};  // RESP3 or RESP2

TEST_P(Shards, SeveralRangesAndUnassignedSlots) {
  ReplyTree t;
  const bool r3 = GetParam();
  const auto* reply =
      t.array({shard(t, {0, 99, 200, 299}, {master(7000), replica(7003)}, r3),
               shard(t, {100, 100}, {replica(7004), master(7001)}, r3),
               shard(t, {}, {master(7009)}, r3)});  // no slots
  const auto r = parse_cluster_shards(reply, "127.0.0.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.map->assigned_slots(), 201u);
  EXPECT_EQ(r.map->nodes().size(), 2u);  // a master without slots is not one
  EXPECT_EQ(r.map->node_for_slot(99)->port, 7000);
  EXPECT_EQ(r.map->node_for_slot(100)->port, 7001);
  EXPECT_EQ(r.map->node_for_slot(101), nullptr);
  EXPECT_EQ(r.map->node_for_slot(250)->port, 7000);
  EXPECT_EQ(r.map->index_for_slot(250), r.map->index_for_slot(0));
  EXPECT_EQ(r.map->node_for_slot(300), nullptr);
}

TEST_P(Shards, Endpoints) {
  ReplyTree t;
  const bool r3 = GetParam();
  NodeSpec named = master(7000), unknown = master(7001), empty = master(7002),
           nil = master(7003), v6 = master(7004);
  named.endpoint = "redis-a.example";
  unknown.endpoint = "?";  // hostname endpoints, and this node has none
  unknown.ip = "10.1.2.3";
  empty.endpoint = "";  // unknown-endpoint: the node that answered
  nil.nil_endpoint = true;
  v6.endpoint = "::1";
  const auto* reply =
      t.array({shard(t, {0, 0}, {named}, r3), shard(t, {1, 1}, {unknown}, r3),
               shard(t, {2, 2}, {empty}, r3), shard(t, {3, 3}, {nil}, r3),
               shard(t, {4, 4}, {v6}, r3)});
  const auto r = parse_cluster_shards(reply, "192.0.2.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->node_for_slot(0)->host, "redis-a.example");
  EXPECT_EQ(r.map->node_for_slot(1)->host, "10.1.2.3");
  EXPECT_EQ(r.map->node_for_slot(2)->host, "192.0.2.1");
  EXPECT_EQ(r.map->node_for_slot(3)->host, "192.0.2.1");
  EXPECT_EQ(r.map->node_for_slot(4)->to_string(), "[::1]:7004");
  // With no answering host, an empty endpoint names no node.
  EXPECT_THAT(parse_cluster_shards(reply, "").error, HasSubstr("usable host"));
}

// Redis 7.2+ lists a failed master beside the replica that replaced it.
TEST_P(Shards, FailedMasterBesideItsSuccessor) {
  ReplyTree t;
  const bool r3 = GetParam();
  NodeSpec old_master = master(7000);
  old_master.health = "failed";
  auto r = parse_cluster_shards(
      t.array({shard(t, {0, 16383}, {old_master, master(7003)}, r3)}), "127.0.0.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->node_for_slot(8000)->port, 7003);
  NodeSpec old_master8 = old_master;  // Redis 8.0 says "fail"
  old_master8.health = "fail";
  r = parse_cluster_shards(
      t.array({shard(t, {0, 16383}, {master(7003), old_master8}, r3)}), "127.0.0.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->node_for_slot(8000)->port, 7003);
  // Two healthy masters, or none that has not failed, for the same slots: no map.
  r = parse_cluster_shards(t.array({shard(t, {0, 1}, {master(7000), master(7003)}, r3)}),
                           "127.0.0.1");
  EXPECT_FALSE(r.map);
  EXPECT_THAT(r.error, HasSubstr("2 masters"));
  NodeSpec other = old_master;
  other.port = 7003;
  r = parse_cluster_shards(t.array({shard(t, {0, 1}, {old_master, other}, r3)}),
                           "127.0.0.1");
  EXPECT_FALSE(r.map);
  // A failed master alone still owns its slots (until a replica takes them).
  r = parse_cluster_shards(t.array({shard(t, {0, 1}, {old_master}, r3)}), "127.0.0.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->node_for_slot(1)->port, 7000);
}

// One hostile CLUSTER SHARDS reply each: refused whole, with a reason.
TEST_P(Shards, HostileRepliesAreRefused) {
  const bool r3 = GetParam();
  using Make = std::function<redisReply*(ReplyTree&)>;
  auto one = [r3](std::vector<long long> slots, NodeSpec n) {
    return Make([=](ReplyTree& t) { return t.array({shard(t, slots, {n}, r3)}); });
  };
  NodeSpec no_role = master(7000), bad_host = master(7000), unknown_no_ip = master(7000);
  no_role.role = "";
  bad_host.endpoint = "a b";
  unknown_no_ip.endpoint = "?";
  unknown_no_ip.ip = "";
  const std::pair<const char*, Make> cases[] = {
      {"an error",
       [](ReplyTree& t) { return t.error("ERR unknown subcommand 'shards'"); }},
      {"a string", [](ReplyTree& t) { return t.str("slots"); }},
      {"an integer", [](ReplyTree& t) { return t.integer(3); }},
      {"nil", [](ReplyTree& t) { return t.nil(); }},
      {"a shard that is a string", [](ReplyTree& t) { return t.array({t.str("x")}); }},
      {"a shard with an odd map",
       [](ReplyTree& t) { return t.array({t.array({t.str("slots")})}); }},
      {"a shard without slots",
       [](ReplyTree& t) {
         return t.array({t.array({t.str("nodes"), t.array({})})});
       }},
      {"a shard without nodes",
       [](ReplyTree& t) {
         return t.array({t.array({t.str("slots"), t.array({})})});
       }},
      {"slots twice",
       [](ReplyTree& t) {
         return t.array({t.array({t.str("slots"), t.array({}), t.str("slots"),
                                  t.array({}), t.str("nodes"), t.array({})})});
       }},
      {"a field name that is an integer",
       [](ReplyTree& t) {
         return t.array({t.array({t.integer(1), t.array({})})});
       }},
      {"an odd slot list", one({0, 1, 2}, master(7000))},
      {"a slot as a string",
       [r3](ReplyTree& t) {
         auto* s = shard(t, {0, 1}, {master(7000)}, r3);
         s->element[1]->element[0] = t.str("0");
         return t.array({s});
       }},
      {"slot 16384", one({0, 16384}, master(7000))},
      {"slot -1", one({-1, 5}, master(7000))},
      {"a huge slot", one({0, 1LL << 40}, master(7000))},
      {"a reversed range", one({10, 5}, master(7000))},
      {"port 0", one({0, 1}, master(0))},
      {"port 65536", one({0, 1}, master(65536))},
      {"port -1", one({0, 1}, master(-1))},
      {"no role", one({0, 1}, no_role)},
      {"a host with a space", one({0, 1}, bad_host)},
      {"an unknown endpoint and no ip", one({0, 1}, unknown_no_ip)},
      {"slots and no master", one({0, 1}, replica(7000))},
      {"overlapping shards",
       [r3](ReplyTree& t) {
         return t.array({shard(t, {0, 10}, {master(7000)}, r3),
                         shard(t, {10, 20}, {master(7001)}, r3)});
       }},
      {"a slot twice in one shard", one({0, 10, 5, 6}, master(7000))},
      {"a node that is an array of arrays",
       [](ReplyTree& t) {
         auto* deep = t.array({t.array({t.array({t.array({t.str("role")})})})});
         return t.array({t.array({t.str("slots"), t.array({t.integer(0), t.integer(1)}),
                                  t.str("nodes"), t.array({deep})})});
       }},
      {"a port as a string",
       [](ReplyTree& t) {
         auto* n = t.array({t.str("role"), t.str("master"), t.str("port"), t.str("7000"),
                            t.str("endpoint"), t.str("h")});
         return t.array({t.array({t.str("slots"), t.array({t.integer(0), t.integer(1)}),
                                  t.str("nodes"), t.array({n})})});
       }},
  };
  for (const auto& [what, make] : cases) {
    ReplyTree t;
    const auto r = parse_cluster_shards(make(t), "127.0.0.1");
    EXPECT_FALSE(r.map) << what;
    EXPECT_THAT(r.error, HasSubstr("CLUSTER SHARDS: ")) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Resp, Shards, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Resp3" : "Resp2"; });

// ---------------------------------------------------------------- CLUSTER SLOTS

redisReply* slots_range(ReplyTree& t, long long first, long long last, redisReply* master,
                        std::vector<redisReply*> replicas = {}) {
  std::vector<redisReply*> e = {t.integer(first), t.integer(last), master};
  e.insert(e.end(), replicas.begin(), replicas.end());
  return t.array(e);
}
redisReply* slots_node(ReplyTree& t, redisReply* host, long long port) {
  return t.array(
      {host, t.integer(port), t.str("09dbe9720cda62f7865eabc5fd8857c5d2678366")});
}

TEST(Slots, EndpointsAndMetadata) {
  ReplyTree t;
  auto* hostname_unknown = t.array({t.str("?"), t.integer(7001), t.str("id"),
                                    t.map({t.str("ip"), t.str("10.0.0.2")})});
  const auto* reply = t.array({
      slots_range(t, 0, 9, slots_node(t, t.str("127.0.0.1"), 7000),
                  {slots_node(t, t.str("127.0.0.1"), 7003)}),
      slots_range(t, 10, 19, hostname_unknown),
      slots_range(t, 20, 29, slots_node(t, t.nil(), 7002)),  // unknown-endpoint
      slots_range(t, 30, 30, slots_node(t, t.str("127.0.0.1"), 7000)),
  });
  const auto r = parse_cluster_slots(reply, "192.0.2.1");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->assigned_slots(), 31u);
  EXPECT_EQ(r.map->nodes().size(), 3u);
  EXPECT_EQ(r.map->node_for_slot(5)->to_string(), "127.0.0.1:7000");
  EXPECT_EQ(r.map->node_for_slot(15)->to_string(), "10.0.0.2:7001");
  EXPECT_EQ(r.map->node_for_slot(25)->to_string(), "192.0.2.1:7002");
  EXPECT_EQ(r.map->index_for_slot(30), r.map->index_for_slot(0));
  EXPECT_EQ(r.map->node_for_slot(31), nullptr);
}

TEST(Slots, HostileRepliesAreRefused) {
  using Make = std::function<redisReply*(ReplyTree&)>;
  const std::pair<const char*, Make> cases[] = {
      {"an error",
       [](ReplyTree& t) {
         return t.error("ERR This instance has cluster support disabled");
       }},
      {"a map", [](ReplyTree& t) { return t.map({}); }},
      {"a range of two",
       [](ReplyTree& t) {
         return t.array({t.array({t.integer(0), t.integer(1)})});
       }},
      {"a range that is a string", [](ReplyTree& t) { return t.array({t.str("0-1")}); }},
      {"slot 16384",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 16384, slots_node(t, t.str("h"), 1))});
       }},
      {"a reversed range",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 9, 0, slots_node(t, t.str("h"), 1))});
       }},
      {"a master that is a string",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 1, t.str("127.0.0.1:7000"))});
       }},
      {"a master without port",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 1, t.array({t.str("h")}))});
       }},
      {"port 70000",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 1, slots_node(t, t.str("h"), 70000))});
       }},
      {"a host that is an integer",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 1, slots_node(t, t.integer(1), 7000))});
       }},
      {"\"?\" and no metadata",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 1, slots_node(t, t.str("?"), 7000))});
       }},
      {"metadata that is a string",
       [](ReplyTree& t) {
         return t.array({slots_range(
             t, 0, 1, t.array({t.str("h"), t.integer(1), t.str("id"), t.str("ip")}))});
       }},
      {"overlapping ranges",
       [](ReplyTree& t) {
         return t.array({slots_range(t, 0, 5, slots_node(t, t.str("a"), 1)),
                         slots_range(t, 5, 9, slots_node(t, t.str("b"), 1))});
       }},
  };
  for (const auto& [what, make] : cases) {
    ReplyTree t;
    const auto r = parse_cluster_slots(make(t), "127.0.0.1");
    EXPECT_FALSE(r.map) << what;
    EXPECT_THAT(r.error, HasSubstr("CLUSTER SLOTS: ")) << what;
  }
}

// As many nodes as slots: every index fits, each node found once.
TEST(Slots, EverySlotItsOwnNode) {
  ReplyTree t;
  std::vector<redisReply*> ranges;
  for (int s = 0; s < 16384; ++s)
    ranges.push_back(slots_range(t, s, s, slots_node(t, t.str("10.0.0.1"), 1 + s)));
  const auto r = parse_cluster_slots(t.array(ranges), "");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->nodes().size(), 16384u);
  EXPECT_EQ(r.map->node_for_slot(16383)->port, 16384);
  EXPECT_EQ(*r.map->index_for_slot(16383), 16383u);
}

// Wire bytes the way a hostile server could send them: hiredis reads each,
// and no partial map is ever accepted.
TEST(Slots, FromTheWire) {
  const auto ok =
      read_reply("*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n");
  ASSERT_NE(ok, nullptr);
  const auto r = parse_cluster_slots(ok.get(), "");
  ASSERT_TRUE(r.map) << r.error;
  EXPECT_EQ(r.map->assigned_slots(), 16384u);
  const auto bad = read_reply(
      "*2\r\n*3\r\n:0\r\n:100\r\n*2\r\n$1\r\na\r\n:7000\r\n*3\r\n:101\r\n:16384\r\n*"
      "2\r\n$1\r\nb\r\n:7000\r\n");
  ASSERT_NE(bad, nullptr);
  EXPECT_THAT(parse_cluster_slots(bad.get(), "").error, HasSubstr("0 to 16383"));
}

}  // namespace
