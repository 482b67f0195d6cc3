// Real Redis Cluster and Sentinel groups for the redis.so tests, on free
// loopback ports in a temporary directory, without persistence, stopped by
// their destructors (the C++ twins of tests/integration/fibdtest/redis_fleet.py).
//
//   RedisCluster cluster;                 // 3 masters, 1 replica each
//   ASSERT_TRUE(cluster.start()) << cluster.problem();
//   FleetNode* old = cluster.master_of_slot(866);
//   old->kill(); FleetNode* next = cluster.wait_failover(*old);
//
//   SentinelGroup group;                  // 1 master, 1 replica, 3 sentinels
//   ASSERT_TRUE(group.start()) << group.problem();
//
// The server is redis-server, or $FIBD_TEST_REDIS_SERVER (valkey-server
// where the release ships it); its client is the matching *-cli.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "redis_server.h"

namespace fibd_redis_test {

inline std::string fleet_server_name() {
  const char* name = std::getenv("FIBD_TEST_REDIS_SERVER");
  return name != nullptr && *name != '\0' ? name : "redis-server";
}

// (server, cli) paths; empty where one is missing.
inline std::pair<std::string, std::string> fleet_tools(const std::string& server_name) {
  std::string cli_name = server_name;
  if (const size_t at = cli_name.rfind("-server"); at != std::string::npos)
    cli_name.replace(at, 7, "-cli");
  return {find_in_path(server_name).value_or(""), find_in_path(cli_name).value_or("")};
}

inline bool wait_until(milliseconds timeout, const std::function<bool()>& done) {
  const auto t0 = Clock::now();
  while (since(t0) < timeout * (slack() > 750ms ? 4 : 1)) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// One redis-server (data node or sentinel) on 127.0.0.1:port.
class FleetNode {
 public:
  FleetNode(std::string server, std::string cli, const std::string& dir,
            std::vector<std::string> args, bool sentinel)
      : server_(std::move(server)),
        cli_(std::move(cli)),
        port_(free_port()),
        dir_(dir + "/" + std::to_string(port_)),
        args_(std::move(args)),
        sentinel_(sentinel) {
    std::filesystem::create_directories(dir_);
  }
  ~FleetNode() { kill(); }
  FleetNode(const FleetNode&) = delete;
  FleetNode& operator=(const FleetNode&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool alive() const { return pid_ > 0; }

  bool start() {
    std::vector<std::string> args;
    if (sentinel_) {  // a sentinel rewrites its configuration file: it needs one
      const std::string conf = dir_ + "/sentinel.conf";
      if (!std::filesystem::exists(conf)) {
        std::ofstream f(conf);
        for (const auto& line : args_) f << line << "\n";
      }
      args = {conf, "--sentinel"};
    }
    args.insert(args.end(),
                {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
                 "--logfile", dir_ + "/server.log", "--daemonize", "no"});
    if (!sentinel_) {
      args.insert(args.end(), {"--save", "", "--appendonly", "no"});
      args.insert(args.end(), args_.begin(), args_.end());
    }
    pid_ = spawn(server_, args);
    if (pid_ <= 0) return false;
    return wait_until(10s,
                      [this] {
                        int status;
                        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                          pid_ = -1;
                          return true;
                        }
                        return cli({"PING"}) == "PONG";
                      }) &&
           pid_ > 0;
  }

  // SIGKILL, as if the machine died: nothing saved, connections reset.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  bool restart() {
    kill();
    return start();
  }
  // SIGSTOP: connections are still accepted, nothing is answered (a node
  // that hangs); resume() lets it go on.
  void pause() const {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() const {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  std::string cli(std::vector<std::string> cmd) const {
    std::vector<std::string> args = {"-h", "127.0.0.1", "-p", std::to_string(port_),
                                     "--raw"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return run_capture(cli_, args);
  }

  // "key:value" lines (INFO, CLUSTER INFO) as a map.
  std::map<std::string, std::string> fields(std::vector<std::string> cmd) const {
    std::map<std::string, std::string> out;
    std::istringstream in(cli(std::move(cmd)));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (const size_t colon = line.find(':'); colon != std::string::npos)
        out[line.substr(0, colon)] = line.substr(colon + 1);
    }
    return out;
  }
  std::string role() const { return fields({"INFO", "replication"})["role"]; }
  // Waits until `replica` has applied every write this master took so far
  // (WAIT only counts the writes of its own connection).
  bool wait_replicated(const FleetNode& replica, milliseconds timeout = 10s) const {
    const long long offset =
        std::atoll(fields({"INFO", "replication"})["master_repl_offset"].c_str());
    return wait_until(timeout, [&] {
      const auto rep = replica.fields({"INFO", "replication"});
      const auto it = rep.find("slave_repl_offset");
      return it != rep.end() && std::atoll(it->second.c_str()) >= offset;
    });
  }
  bool replica_link_up() const {
    auto rep = fields({"INFO", "replication"});
    return rep["role"] == "slave" && rep["master_link_status"] == "up";
  }

 private:
  std::string server_, cli_;
  int port_;
  std::string dir_;
  std::vector<std::string> args_;
  bool sentinel_;
  pid_t pid_ = -1;
};

class FleetGroup {
 public:
  explicit FleetGroup(const std::string& server_name) {
    std::tie(server_, cli_) = fleet_tools(server_name);
    char tmpl[] = "/tmp/fibd-fleet-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
  }
  ~FleetGroup() {
    nodes_.clear();  // killed first
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  FleetGroup(const FleetGroup&) = delete;
  FleetGroup& operator=(const FleetGroup&) = delete;

  bool available() const { return !server_.empty() && !cli_.empty() && !dir_.empty(); }
  const std::string& problem() const { return problem_; }
  const std::vector<std::unique_ptr<FleetNode>>& nodes() const { return nodes_; }
  const std::string& cli_path() const { return cli_; }
  const std::string& dir() const { return dir_; }

 protected:
  FleetNode* add(std::vector<std::string> args, bool sentinel = false) {
    nodes_.push_back(
        std::make_unique<FleetNode>(server_, cli_, dir_, std::move(args), sentinel));
    return nodes_.back().get();
  }
  bool start_all() {
    if (!available()) return fail("no " + fleet_server_name() + " or its cli");
    for (auto& n : nodes_)
      if (!n->start()) return fail("node " + n->address() + " did not start");
    return true;
  }
  bool fail(std::string what) {
    problem_ = std::move(what);
    return false;
  }
  FleetNode* by_port(int port) const {
    for (auto& n : nodes_)
      if (n->port() == port) return n.get();
    return nullptr;
  }

  std::string server_, cli_, dir_, problem_;
  std::vector<std::unique_ptr<FleetNode>> nodes_;
};

}  // namespace fibd_redis_test
