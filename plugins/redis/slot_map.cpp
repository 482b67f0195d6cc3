#include "slot_map.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "reply_fields.h"

namespace fibd_redis {

SlotMap::SlotMap() : owner_(kClusterSlots, kUnassigned) {}

std::optional<size_t> SlotMap::index_for_slot(uint16_t slot) const {
  if (slot >= kClusterSlots || owner_[slot] == kUnassigned) return std::nullopt;
  return owner_[slot];
}

const ClusterNode* SlotMap::node_for_slot(uint16_t slot) const {
  const auto index = index_for_slot(slot);
  return index ? &nodes_[*index] : nullptr;
}

size_t SlotMap::assigned_slots() const {
  return static_cast<size_t>(std::count_if(owner_.begin(), owner_.end(),
                                           [](uint16_t o) { return o != kUnassigned; }));
}

std::optional<std::string> SlotMap::assign(unsigned first, unsigned last,
                                           const ClusterNode& node) {
  if (first > last || last >= kClusterSlots)
    return "slot range " + std::to_string(first) + "-" + std::to_string(last) +
           " is not within 0-16383";
  for (unsigned s = first; s <= last; ++s)
    if (owner_[s] != kUnassigned)
      return "slot " + std::to_string(s) + " is given to two nodes";
  // At most one node per slot: an index always fits, and below kUnassigned.
  const auto [it, added] =
      index_.try_emplace(node.to_string(), static_cast<uint16_t>(nodes_.size()));
  if (added) nodes_.push_back(node);
  const uint16_t index = it->second;
  std::fill(owner_.begin() + first, owner_.begin() + last + 1, index);
  return std::nullopt;
}

namespace {

SlotMapResult failed(std::string what) { return {std::nullopt, std::move(what)}; }

std::optional<std::string> top_level_problem(const redisReply* reply) {
  if (reply == nullptr) return "no reply";
  if (reply->type == kReplyError)
    return "the server answered with an error: " +
           std::string(reply->str != nullptr ? std::string_view(reply->str, reply->len)
                                             : std::string_view{});
  if (!is_array(reply)) return "the reply is not an array";
  return std::nullopt;
}

// The host to reach a node at: its endpoint, the host that answered when the
// endpoint is empty or NULL, its IP address when the endpoint is "?" (a
// hostname endpoint the node has no hostname for).
std::optional<std::string> node_host(const redisReply* endpoint, const redisReply* ip,
                                     std::string_view answering_host,
                                     std::string& error) {
  std::string_view host;
  if (endpoint == nullptr || endpoint->type == kReplyNil) {
    host = answering_host;
  } else if (!is_text(endpoint)) {
    error = "a node endpoint that is not a string";
    return std::nullopt;
  } else {
    host = text_of(endpoint);
    if (host.empty()) host = answering_host;
    if (host == "?") host = is_text(ip) ? text_of(ip) : std::string_view{};
  }
  if (!plausible_host(host)) {
    error = "a node without a usable host (\"" + std::string(host.substr(0, 64)) + "\")";
    return std::nullopt;
  }
  return std::string(host);
}

struct ShardMaster {
  ClusterNode node;
  bool failed =
      false;  // health "failed" (7.2) or "fail" (8.0): its replica may replace it
};

// One node of a CLUSTER SHARDS shard: nothing for a replica, its address
// and health for a master.
std::optional<std::string> read_shard_node(const redisReply* r,
                                           std::string_view answering_host,
                                           std::vector<ShardMaster>& masters) {
  std::vector<const redisReply*> f;
  if (auto e = read_fields(r, {"role", "port", "endpoint", "ip", "health"}, f))
    return "a node: " + *e;
  if (!is_text(f[0])) return "a node without a role";
  if (text_of(f[0]) != "master") return std::nullopt;
  const auto port = integer_in(f[1], 1, 65535);
  if (!port) return "a master without a port from 1 to 65535";
  std::string error;
  const auto host = node_host(f[2], f[3], answering_host, error);
  if (!host) return error;
  const bool failed =
      is_text(f[4]) && (text_of(f[4]) == "failed" || text_of(f[4]) == "fail");
  masters.push_back({ClusterNode{*host, static_cast<uint16_t>(*port)}, failed});
  return std::nullopt;
}

// The master that serves a shard's slots: its only master, or, while a
// failed master is still listed beside its promoted replica (Redis 7.2+
// groups a shard's nodes by shard id), the only one that has not failed.
std::optional<ClusterNode> serving_master(const std::vector<ShardMaster>& masters) {
  if (masters.size() == 1) return masters.front().node;
  const ShardMaster* healthy = nullptr;
  for (const auto& m : masters) {
    if (m.failed) continue;
    if (healthy != nullptr) return std::nullopt;
    healthy = &m;
  }
  if (healthy == nullptr) return std::nullopt;
  return healthy->node;
}

std::optional<std::string> read_shard(const redisReply* r,
                                      std::string_view answering_host, SlotMap& map) {
  std::vector<const redisReply*> f;
  if (auto e = read_fields(r, {"slots", "nodes"}, f)) return "a shard: " + *e;
  if (!is_array(f[0]) || f[0]->elements % 2 != 0)
    return "a shard whose slots are not pairs of numbers";
  if (!is_array(f[1])) return "a shard without a list of nodes";
  std::vector<ShardMaster> masters;
  for (size_t i = 0; i < f[1]->elements; ++i)
    if (auto e = read_shard_node(f[1]->element[i], answering_host, masters)) return e;
  if (f[0]->elements == 0) return std::nullopt;  // a master without slots
  const auto master = serving_master(masters);
  if (!master)
    return "a shard with slots and " + std::to_string(masters.size()) +
           " masters, not one that serves them";
  for (size_t i = 0; i < f[0]->elements; i += 2) {
    const auto first = integer_in(f[0]->element[i], 0, kClusterSlots - 1);
    const auto last = integer_in(f[0]->element[i + 1], 0, kClusterSlots - 1);
    if (!first || !last) return "a slot that is not a number from 0 to 16383";
    if (auto e = map.assign(static_cast<unsigned>(*first), static_cast<unsigned>(*last),
                            *master))
      return e;
  }
  return std::nullopt;
}

// The master of a CLUSTER SLOTS range: host, port, then optionally the node
// id and (Redis 7) a map with its "ip" and "hostname".
std::optional<std::string> read_slots_master(const redisReply* r,
                                             std::string_view answering_host,
                                             ClusterNode& node) {
  if (!is_array(r) || r->elements < 2) return "a slot range without a master";
  const auto port = integer_in(r->element[1], 1, 65535);
  if (!port) return "a master without a port from 1 to 65535";
  const redisReply* ip = nullptr;
  if (r->elements >= 4) {
    std::vector<const redisReply*> f;
    if (auto e = read_fields(r->element[3], {"ip"}, f))
      return "a master's metadata: " + *e;
    ip = f[0];
  }
  std::string error;
  const auto host = node_host(r->element[0], ip, answering_host, error);
  if (!host) return error;
  node = ClusterNode{*host, static_cast<uint16_t>(*port)};
  return std::nullopt;
}

}  // namespace

SlotMapResult parse_cluster_shards(const redisReply* reply,
                                   std::string_view answering_host) {
  if (auto e = top_level_problem(reply)) return failed("CLUSTER SHARDS: " + *e);
  SlotMap map;
  for (size_t i = 0; i < reply->elements; ++i)
    if (auto e = read_shard(reply->element[i], answering_host, map))
      return failed("CLUSTER SHARDS: " + *e);
  return {std::move(map), {}};
}

SlotMapResult parse_cluster_slots(const redisReply* reply,
                                  std::string_view answering_host) {
  if (auto e = top_level_problem(reply)) return failed("CLUSTER SLOTS: " + *e);
  SlotMap map;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (!is_array(range) || range->elements < 3)
      return failed("CLUSTER SLOTS: a slot range that is not [first, last, master, ...]");
    const auto first = integer_in(range->element[0], 0, kClusterSlots - 1);
    const auto last = integer_in(range->element[1], 0, kClusterSlots - 1);
    if (!first || !last)
      return failed("CLUSTER SLOTS: a slot that is not a number from 0 to 16383");
    ClusterNode master;
    if (auto e = read_slots_master(range->element[2], answering_host, master))
      return failed("CLUSTER SLOTS: " + *e);
    if (auto e = map.assign(static_cast<unsigned>(*first), static_cast<unsigned>(*last),
                            master))
      return failed("CLUSTER SLOTS: " + *e);
  }
  return {std::move(map), {}};
}

}  // namespace fibd_redis
