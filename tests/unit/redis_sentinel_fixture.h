// A real Redis Sentinel group for tests: one master, `replicas` replicas and
// `sentinels` sentinels (quorum 2) monitoring it as kMasterName, every
// sentinel knowing the others and the replicas. See redis_fleet.h.
#pragma once

#include <set>

#include "redis_fleet.h"

namespace fibd_redis_test {

class SentinelGroup : public FleetGroup {
 public:
  static constexpr const char* kMasterName = "fibd";

  explicit SentinelGroup(int replicas = 1, int sentinels = 3, int down_after_ms = 1000,
                         int failover_timeout_ms = 10000,
                         const std::string& server_name = fleet_server_name())
      : FleetGroup(server_name) {
    data_.push_back(add({}));
    const std::string master_port = std::to_string(data_[0]->port());
    for (int i = 0; i < replicas; ++i)
      data_.push_back(add({"--replicaof", "127.0.0.1", master_port}));
    const std::string name = kMasterName;
    const std::vector<std::string> conf = {
        "sentinel monitor " + name + " 127.0.0.1 " + master_port + " 2",
        "sentinel down-after-milliseconds " + name + " " + std::to_string(down_after_ms),
        "sentinel failover-timeout " + name + " " + std::to_string(failover_timeout_ms),
        "sentinel parallel-syncs " + name + " 1"};
    for (int i = 0; i < sentinels; ++i) sentinels_.push_back(add(conf, true));
  }

  bool start() {
    if (!start_all()) return false;
    return wait_until(30s, [this] { return formed(); }) ||
           fail("the sentinels did not find the replicas and each other");
  }

  const std::vector<FleetNode*>& data_nodes() const { return data_; }
  const std::vector<FleetNode*>& sentinels() const { return sentinels_; }
  std::string sentinels_option() const {
    std::string out;
    for (auto* s : sentinels_) out += (out.empty() ? "" : ",") + s->address();
    return out;
  }

  // The data node every live sentinel calls master; nullptr if they differ.
  FleetNode* master() const {
    std::set<std::string> answers;
    for (auto* s : sentinels_)
      if (s->alive())
        answers.insert(s->cli({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMasterName}));
    if (answers.size() != 1) return nullptr;
    const std::string& a = *answers.begin();  // "127.0.0.1\nPORT"
    const size_t nl = a.find('\n');
    if (nl == std::string::npos) return nullptr;
    return by_port(std::atoi(a.c_str() + nl + 1));
  }

  // After `old` (the master) died: the data node the sentinels promoted,
  // once it says it is a master; nullptr if none in time.
  FleetNode* wait_failover(const FleetNode& old, milliseconds timeout = 30s) {
    FleetNode* next = nullptr;
    const bool ok = wait_until(timeout, [&] {
      next = master();
      return next != nullptr && next != &old && next->role() == "master";
    });
    return ok ? next : (fail("the sentinels did not fail over"), nullptr);
  }

  bool wait_replica_of(const FleetNode& node, const FleetNode& master,
                       milliseconds timeout = 30s) {
    return wait_until(timeout,
                      [&] {
                        return node.replica_link_up() &&
                               node.fields({"INFO", "replication"})["master_port"] ==
                                   std::to_string(master.port());
                      }) ||
           fail(node.address() + " does not replicate " + master.address());
  }

 private:
  bool formed() const {
    for (auto* s : sentinels_) {
      const std::string text = s->cli({"SENTINEL", "MASTER", kMasterName});
      std::map<std::string, std::string> m;
      std::istringstream in(text);
      for (std::string k, v; std::getline(in, k) && std::getline(in, v);) m[k] = v;
      if (m["num-other-sentinels"] != std::to_string(sentinels_.size() - 1) ||
          m["num-slaves"] != std::to_string(data_.size() - 1))
        return false;
    }
    for (size_t i = 1; i < data_.size(); ++i)
      if (!data_[i]->replica_link_up()) return false;
    return true;
  }

  std::vector<FleetNode*> data_, sentinels_;
};

}  // namespace fibd_redis_test
