// Cluster mode: which master serves each hash slot (slot_map.h), learnt
// from CLUSTER SHARDS (CLUSTER SLOTS on a server that does not know it) of
// the first node that answers: the seeds (option cluster_nodes), then the
// nodes the last map named. A reply that is no consistent map is refused
// with its reason and the next node asked. A redirection or an unreachable
// node asks for a new map (refresh_soon); one round runs at a time and
// requests that come during one are coalesced into it.
//
// route() from any thread; the rounds run on the plugin's own loop, over
// its links.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "host_metrics.h"
#include "logger.h"
#include "node_links.h"
#include "own_loop.h"
#include "slot_map.h"

namespace fibd_redis {

class ClusterMap {
 public:
  // `metrics`: cluster_map_refreshes, cluster_maps_refused and
  // cluster_nodes_known (the masters of the map now) go there.
  ClusterMap(const Options& opts, OwnLoop& loop, NodeLinks& own_links, Logger& log,
             const HostMetrics& metrics);

  // The master serving `key`'s slot (the key as stored, key_prefix
  // included), or nullopt while no map assigns it.
  std::optional<Address> route(std::string_view key) const;
  // Every master of the map.
  std::vector<Address> masters() const;
  bool known() const;

  // The own loop's thread: a round now, unless one is under way (then
  // `done`, if any, is finished when it ends: a map learnt or not).
  void refresh(std::shared_ptr<SyncResult> done = nullptr);
  // Any thread: a round soon, unless one is queued or a map came in just now.
  void refresh_soon();
  // The own loop's thread, before its links close: no round goes on.
  void close() { closing_ = true; }

  // Why the last round learnt no map (create()'s message).
  const Error& last_error() const { return last_error_; }
  uint64_t refreshes() const { return refreshes_.load(); }
  uint64_t refused() const { return refused_.load(); }
  size_t node_count() const;

 private:
  void ask(size_t i, bool slots);
  void answered(size_t i, bool slots, const redisReply* reply, const Error& err);
  void end_round(bool found);

  const Options& opts_;
  OwnLoop& loop_;
  NodeLinks& links_;
  Logger& log_;
  mutable std::mutex mu_;
  std::shared_ptr<const SlotMap> map_;  // under mu_
  // The own loop's thread:
  std::vector<Address> asking_;  // this round's nodes, in turn
  bool closing_ = false;
  std::vector<std::shared_ptr<SyncResult>> waiting_;
  Error last_error_;
  std::atomic<bool> queued_{false};
  std::atomic<int64_t> last_round_ns_{0};  // steady clock: the last round's end
  const HostMetrics& metrics_;
  EventCount refreshes_{metrics_, "cluster_map_refreshes"};
  EventCount refused_{metrics_, "cluster_maps_refused"};
};

}  // namespace fibd_redis
