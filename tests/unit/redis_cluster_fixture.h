// A real Redis Cluster for tests: `masters` masters with `replicas` replicas
// each, made by `redis-cli --cluster create`, every node at cluster_state:ok
// and agreeing on the slots, every replica in sync. See redis_fleet.h.
#pragma once

#include <algorithm>
#include <set>

#include "redis_fleet.h"

namespace fibd_redis_test {

struct ClusterNodeRow {  // one line of CLUSTER NODES
  std::string id;
  int port = 0;
  std::set<std::string> flags;
  std::string master_id;
  std::vector<std::pair<int, int>> slots;
  bool serves(int slot) const {
    return std::any_of(slots.begin(), slots.end(),
                       [slot](auto r) { return r.first <= slot && slot <= r.second; });
  }
};

class RedisCluster : public FleetGroup {
 public:
  explicit RedisCluster(int masters = 3, int replicas = 1, int node_timeout_ms = 1000,
                        const std::string& server_name = fleet_server_name())
      : FleetGroup(server_name), replicas_(replicas) {
    for (int i = 0; i < masters * (1 + replicas); ++i)
      add({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
           "--cluster-port", std::to_string(free_port()),  // port + 10000 may be taken
           "--cluster-node-timeout", std::to_string(node_timeout_ms)});
  }

  bool start() {
    if (!start_all()) return false;
    std::vector<std::string> args = {"--cluster", "create"};
    for (auto& n : nodes_) args.push_back(n->address());
    args.insert(args.end(),
                {"--cluster-replicas", std::to_string(replicas_), "--cluster-yes"});
    const std::string out = run_capture(cli_, args);
    if (out.find("All 16384 slots covered") == std::string::npos)
      return fail("redis-cli --cluster create: " + out);
    return wait_healthy();
  }

  // The cluster_nodes option: every node, comma-separated.
  std::string seeds() const {
    std::string out;
    for (auto& n : nodes_) out += (out.empty() ? "" : ",") + n->address();
    return out;
  }

  FleetNode* any_live() const {
    for (auto& n : nodes_)
      if (n->alive()) return n.get();
    return nullptr;
  }

  std::vector<ClusterNodeRow> cluster_nodes(const FleetNode* via = nullptr) const {
    if (via == nullptr) via = any_live();
    std::vector<ClusterNodeRow> rows;
    if (via == nullptr) return rows;
    std::istringstream in(via->cli({"CLUSTER", "NODES"}));
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::vector<std::string> f;
      for (std::string w; words >> w;) f.push_back(w);
      if (f.size() < 8) continue;
      ClusterNodeRow row;
      row.id = f[0];
      const std::string addr = f[1].substr(0, f[1].find('@'));
      row.port = std::atoi(addr.substr(addr.rfind(':') + 1).c_str());
      std::istringstream flags(f[2]);
      for (std::string flag; std::getline(flags, flag, ',');) row.flags.insert(flag);
      row.master_id = f[3];
      for (size_t i = 8; i < f.size(); ++i) {
        if (f[i].front() == '[') continue;  // a slot being migrated or imported
        const size_t dash = f[i].find('-');
        const int first = std::atoi(f[i].c_str());
        row.slots.emplace_back(
            first, dash == std::string::npos ? first : std::atoi(&f[i][dash + 1]));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string node_id(const FleetNode& n) const { return n.cli({"CLUSTER", "MYID"}); }

  // Live masters that serve slots.
  std::vector<FleetNode*> masters() const {
    std::vector<FleetNode*> out;
    for (const auto& r : cluster_nodes())
      if (r.flags.count("master") && !r.flags.count("fail") && !r.slots.empty())
        out.push_back(by_port(r.port));
    return out;
  }
  std::vector<FleetNode*> replicas_of(const FleetNode& master) const {
    const std::string id = node_id(master);
    std::vector<FleetNode*> out;
    for (const auto& r : cluster_nodes())
      if (r.master_id == id) out.push_back(by_port(r.port));
    return out;
  }
  FleetNode* master_of_slot(int slot, const FleetNode* via = nullptr) const {
    for (const auto& r : cluster_nodes(via))
      if (r.flags.count("master") && r.serves(slot)) return by_port(r.port);
    return nullptr;
  }

  bool healthy() const {
    std::set<std::string> views;
    for (auto& n : nodes_) {
      if (!n->alive()) continue;
      if (n->fields({"CLUSTER", "INFO"})["cluster_state"] != "ok") return false;
      if (n->role() == "slave" && !n->replica_link_up()) return false;
      std::string view;
      std::vector<ClusterNodeRow> rows = cluster_nodes(n.get());
      std::sort(rows.begin(), rows.end(),
                [](auto& a, auto& b) { return a.port < b.port; });
      for (const auto& r : rows)
        if (r.flags.count("master") && !r.slots.empty()) {
          view += std::to_string(r.port) + ":";
          for (auto [a, b] : r.slots)
            view += std::to_string(a) + "-" + std::to_string(b) + ",";
        }
      views.insert(view);
    }
    return views.size() == 1;
  }
  bool wait_healthy(milliseconds timeout = 30s) {
    return wait_until(timeout, [this] { return healthy(); }) ||
           fail("the cluster did not become healthy");
  }

  // After `dead` (a master) was killed: the replica that took its slots,
  // once the cluster is healthy again; nullptr if none did in time.
  FleetNode* wait_failover(const FleetNode& dead, milliseconds timeout = 30s) {
    int first_slot = -1;
    for (const auto& r : cluster_nodes())
      if (r.port == dead.port() && !r.slots.empty()) first_slot = r.slots.front().first;
    if (first_slot < 0) return fail("not a master with slots"), nullptr;
    FleetNode* owner = nullptr;
    const bool ok = wait_until(timeout, [&] {
      owner = master_of_slot(first_slot);
      return owner != nullptr && owner != &dead && healthy();
    });
    return ok ? owner : (fail("no replica took over"), nullptr);
  }

  // Moves `count` slots (the lowest of `source`), keys included.
  bool reshard(const FleetNode& source, const FleetNode& target, int count) {
    const std::string out =
        run_capture(cli_, {"--cluster", "reshard", source.address(), "--cluster-from",
                           node_id(source), "--cluster-to", node_id(target),
                           "--cluster-slots", std::to_string(count), "--cluster-yes"});
    if (out.find("[ERR]") != std::string::npos) return fail("reshard: " + out);
    return wait_healthy();
  }

 private:
  int replicas_;
};

}  // namespace fibd_redis_test
