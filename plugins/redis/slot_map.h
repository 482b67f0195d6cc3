// Which master node serves each of Redis Cluster's 16384 hash slots, learnt
// from CLUSTER SHARDS (Redis 7+, RESP2 or RESP3) or CLUSTER SLOTS (older
// servers). A reply that does not describe a consistent map (wrong types,
// slots or ports out of range, missing fields, overlapping ranges) is
// refused whole with a reason: there is never a partial map.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster_node.h"
#include "key_slot.h"

struct redisReply;

namespace fibd_redis {

class SlotMap {
 public:
  SlotMap();  // every slot unassigned

  // The master serving `slot`; nullptr if the slot is unassigned or not a slot.
  const ClusterNode* node_for_slot(uint16_t slot) const;
  // Its index in nodes(); nullopt likewise.
  std::optional<size_t> index_for_slot(uint16_t slot) const;
  // Every master that serves at least one slot, each once.
  const std::vector<ClusterNode>& nodes() const { return nodes_; }
  size_t assigned_slots() const;

  // Gives slots first..last to `node`; an error if a slot is already given
  // or the range is not within 0..16383.
  std::optional<std::string> assign(unsigned first, unsigned last,
                                    const ClusterNode& node);

 private:
  static constexpr uint16_t kUnassigned = 0xFFFF;
  std::vector<ClusterNode> nodes_;
  std::unordered_map<std::string, uint16_t> index_;  // to_string() -> index in nodes_
  std::vector<uint16_t> owner_;  // kClusterSlots entries: an index in nodes_
};

struct SlotMapResult {
  std::optional<SlotMap> map;  // set exactly when `error` is empty
  std::string error;
};

// `answering_host` is the host of the node that answered: a node whose
// endpoint is empty or NULL (cluster-preferred-endpoint-type
// unknown-endpoint) is reached there.
SlotMapResult parse_cluster_shards(const redisReply* reply,
                                   std::string_view answering_host);
SlotMapResult parse_cluster_slots(const redisReply* reply,
                                  std::string_view answering_host);

}  // namespace fibd_redis
