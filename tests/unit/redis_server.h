// Real redis-server processes for the redis.so tests: each test starts its
// own on a free loopback port (and a unix socket) and stops it after.
#pragma once

#include <dlfcn.h>
#include <fcntl.h>
#include <fibd/cache_plugin.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace fibd_redis_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kBuildDir = FIBD_BUILD_DIR;

// Extra room on top of a timeout before a call counts as "not bounded".
inline milliseconds slack() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 1500ms;
#else
  const char* s = std::getenv("FIBD_SANITIZE");
  return (s != nullptr && *s != '\0') ? 1500ms : 750ms;
#endif
}

inline milliseconds since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t);
}

// ---------------------------------------------------------------- processes

inline std::optional<std::string> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = p.substr(start, end - start) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return std::nullopt;
}

// posix_spawn (no fork of a threaded test process); stdout to `out_fd` if
// given, stderr and other output to /dev/null.
inline pid_t spawn(const std::string& exe, const std::vector<std::string>& args,
                   int out_fd = -1) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  else
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Runs a command, returns its stdout.
inline std::string run_capture(const std::string& exe,
                               const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  pid_t pid = spawn(exe, args, fds[1]);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  if (pid > 0) {
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A free loopback port below the kernel's ephemeral range: a port from that
// range can be taken, between this call and redis-server's bind(), as the
// local port of any outgoing connection on the machine (parallel tests make
// many), and redis-server would then exit with "Address already in use".
inline int free_port() {
  int lo = 32768;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d", &lo) != 1) lo = 32768;
    std::fclose(f);
  }
  const int first = 10000;
  const int last = lo - first >= 1000 ? lo - 1 : 65535;  // else: no room below
  static std::mt19937 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = std::uniform_int_distribution<int>(first, last)(rng);
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    if (ok) return port;
  }
  return -1;
}

inline bool tcp_accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// One redis-server on 127.0.0.1:port and dir/redis.sock, no persistence.
class RedisServer {
 public:
  RedisServer(int port, std::string dir, std::vector<std::string> extra = {})
      : port_(port), dir_(std::move(dir)), extra_(std::move(extra)) {}
  ~RedisServer() { kill(); }

  std::string socket_path() const { return dir_ + "/redis.sock"; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  bool start() {
    static const std::optional<std::string> exe = find_in_path("redis-server");
    if (!exe) return false;
    std::vector<std::string> args = {"--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--unixsocket",
                                     socket_path(),
                                     "--unixsocketperm",
                                     "700",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--logfile",
                                     dir_ + "/redis.log",
                                     "--daemonize",
                                     "no"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = spawn(*exe, args);
    if (pid_ <= 0) return false;
    auto t0 = Clock::now();
    while (since(t0) < 10s) {
      struct stat st;
      if (tcp_accepts(port_) && ::stat(socket_path().c_str(), &st) == 0) return true;
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  void stop_signal() { ::kill(pid_, SIGSTOP); }
  void cont_signal() { ::kill(pid_, SIGCONT); }

  // redis-cli against this server; `pre` goes before the command (-a, -n, ...).
  std::string cli(std::vector<std::string> cmd, std::vector<std::string> pre = {}) const {
    static const std::optional<std::string> exe = find_in_path("redis-cli");
    if (!exe) return "(no redis-cli)";
    std::vector<std::string> args = {"-h", "127.0.0.1", "-p", std::to_string(port_),
                                     "--no-auth-warning"};
    args.insert(args.end(), pre.begin(), pre.end());
    args.insert(args.end(), cmd.begin(), cmd.end());
    return run_capture(*exe, args);
  }

 private:
  int port_;
  std::string dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace fibd_redis_test
