// fibd-test-label: threaded
//
// redis.so through its C ABI, against real redis-server processes that each
// test starts on a free loopback port (and a unix socket) and stops after.
// Time bounds here are liveness limits, not performance targets.
#include <dlfcn.h>
#include <fcntl.h>
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

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fibd/cache_plugin.h>

extern char **environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kBuildDir = FIBD_BUILD_DIR;

// Extra room on top of a timeout before a call counts as "not bounded".
milliseconds slack() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 1500ms;
#else
  const char *s = std::getenv("FIBD_SANITIZE");
  return (s != nullptr && *s != '\0') ? 1500ms : 750ms;
#endif
}

milliseconds since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t);
}

// ---------------------------------------------------------------- processes

std::optional<std::string> find_in_path(const std::string &name) {
  const char *path = std::getenv("PATH");
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
pid_t spawn(const std::string &exe, const std::vector<std::string> &args, int out_fd = -1) {
  std::vector<char *> argv;
  argv.push_back(const_cast<char *>(exe.c_str()));
  for (auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
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
std::string run_capture(const std::string &exe, const std::vector<std::string> &args) {
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

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
    ::close(s);
    return -1;
  }
  ::close(s);
  return ntohs(a.sin_port);
}

bool tcp_accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
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
    std::vector<std::string> args = {
        "--port", std::to_string(port_), "--bind", "127.0.0.1",
        "--unixsocket", socket_path(), "--unixsocketperm", "700",
        "--save", "", "--appendonly", "no", "--dir", dir_,
        "--logfile", dir_ + "/redis.log", "--daemonize", "no"};
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

// ------------------------------------------------------------ C ABI harness

struct Plugin {
  void *handle = nullptr;
  const fibd_cache_descriptor *desc = nullptr;
  std::string error;

  Plugin() {
    std::string path = kBuildDir + "/plugins/redis.so";
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      error = ::dlerror();
      return;
    }
    auto factory = reinterpret_cast<fibd_cache_factory_fn>(
        ::dlsym(handle, FIBD_CACHE_DEFAULT_FACTORY));
    if (factory == nullptr) {
      error = "no factory symbol";
      return;
    }
    desc = factory();
  }
  ~Plugin() {
    if (handle != nullptr) ::dlclose(handle);
  }
  Plugin(const Plugin &) = delete;
  Plugin &operator=(const Plugin &) = delete;
};

// Host log lines, shared by all threads of an instance.
struct LogCapture {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> lines;

  static void log(void *ctx, int level, const char *msg) {
    auto *self = static_cast<LogCapture *>(ctx);
    std::lock_guard lock(self->mu);
    self->lines.emplace_back(level, msg);
  }
  std::vector<std::pair<int, std::string>> snapshot() {
    std::lock_guard lock(mu);
    return lines;
  }
  bool contains(const std::string &needle, int min_level = FIBD_LOG_TRACE) {
    std::lock_guard lock(mu);
    for (auto &[lvl, l] : lines)
      if (lvl >= min_level && l.find(needle) != std::string::npos) return true;
    return false;
  }
  size_t count_at_least(int level) {
    std::lock_guard lock(mu);
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(),
                                             [&](auto &p) { return p.first >= level; }));
  }
};

using Options = std::vector<std::pair<std::string, std::string>>;

struct GetResult {
  fibd_cache_status status;
  std::string value;
  std::string error;
};

// One instance of the plugin; destroy() in the destructor.
class Instance {
 public:
  Instance(const Plugin &p, const Options &opts, uint64_t default_ttl_ms = 0)
      : desc_(p.desc) {
    host_.struct_size = sizeof host_;
    host_.abi_version = FIBD_CACHE_ABI_VERSION;
    host_.ctx = &log_;
    host_.log = &LogCapture::log;
    std::vector<fibd_cache_option> o;
    for (auto &[k, v] : opts) o.push_back({k.c_str(), v.c_str()});
    fibd_cache_config cfg{};
    cfg.struct_size = sizeof cfg;
    cfg.options = o.data();
    cfg.option_count = o.size();
    cfg.default_ttl_ms = default_ttl_ms;
    char err[512] = "";
    inst_ = desc_->create(&host_, &cfg, err, sizeof err);
    error_ = err;
  }
  ~Instance() {
    if (inst_ != nullptr) desc_->destroy(inst_);
  }
  Instance(const Instance &) = delete;
  Instance &operator=(const Instance &) = delete;

  bool ok() const { return inst_ != nullptr; }
  const std::string &create_error() const { return error_; }
  LogCapture &log() { return log_; }

  GetResult get(const std::string &key) {
    GetResult r;
    fibd_cache_sink sink{&r.value, [](void *ctx, const void *data, size_t len) {
                           static_cast<std::string *>(ctx)->assign(
                               static_cast<const char *>(data), len);
                           return 0;
                         }};
    char err[512] = "";
    r.status = desc_->get(inst_, key.data(), key.size(), &sink, err, sizeof err);
    r.error = err;
    return r;
  }
  fibd_cache_status set(const std::string &key, const std::string &value, uint64_t ttl_ms,
                        std::string *error = nullptr) {
    char err[512] = "";
    auto s = desc_->set(inst_, key.data(), key.size(), value.data(), value.size(), ttl_ms,
                        err, sizeof err);
    if (error != nullptr) *error = err;
    return s;
  }
  fibd_cache_status del(const std::string &key) {
    char err[512] = "";
    return desc_->del(inst_, key.data(), key.size(), err, sizeof err);
  }
  fibd_cache_status clear() {
    char err[512] = "";
    return desc_->clear(inst_, err, sizeof err);
  }
  std::map<std::string, uint64_t> stats() {
    std::map<std::string, uint64_t> m;
    fibd_cache_stats_sink sink{&m, [](void *ctx, const char *name, uint64_t v) {
                                 (*static_cast<std::map<std::string, uint64_t> *>(ctx))[name] = v;
                               }};
    char err[256] = "";
    desc_->stats(inst_, &sink, err, sizeof err);
    return m;
  }

 private:
  const fibd_cache_descriptor *desc_;
  fibd_cache_host host_{};
  LogCapture log_;
  void *inst_ = nullptr;
  std::string error_;
};

// ------------------------------------------------------------------ fixture

class RedisPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_in_path("redis-server") || !find_in_path("redis-cli"))
      GTEST_SKIP() << "redis-server/redis-cli not installed (packaging/test-deps)";
    ASSERT_NE(plugin_.desc, nullptr) << plugin_.error;
    char tmpl[] = "/tmp/fibd-redis-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    port_ = free_port();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts (or restarts, same port and socket) the fixture's redis-server.
  void start_redis(std::vector<std::string> extra = {}) {
    if (!server_) server_ = std::make_unique<RedisServer>(port_, dir_, std::move(extra));
    ASSERT_TRUE(server_->start()) << "redis-server did not start; see " << dir_ << "/redis.log";
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  RedisServer &redis() { return *server_; }

  Plugin plugin_;
  std::string dir_;
  int port_ = -1;
  std::unique_ptr<RedisServer> server_;
};

// Runs get/set from `threads` threads until stopped; records the slowest call.
class Load {
 public:
  Load(Instance &inst, int threads) : inst_(inst) {
    for (int t = 0; t < threads; ++t)
      workers_.emplace_back([this, t] {
        std::mt19937 rng(static_cast<unsigned>(t));
        while (!stop_.load()) {
          std::string key = "load:" + std::to_string(rng() % 64);
          auto t0 = Clock::now();
          fibd_cache_status s;
          if (rng() % 2 == 0)
            s = inst_.set(key, "value-" + key, 60000);
          else
            s = inst_.get(key).status;
          auto took = since(t0);
          calls_.fetch_add(1);
          if (s == FIBD_CACHE_ERROR) errors_.fetch_add(1);
          std::this_thread::sleep_for(100us);  // a busy server, not a spin loop
          int64_t ms = took.count();
          int64_t cur = max_ms_.load();
          while (ms > cur && !max_ms_.compare_exchange_weak(cur, ms)) {
          }
        }
      });
  }
  ~Load() { stop(); }
  void stop() {
    stop_.store(true);
    for (auto &w : workers_)
      if (w.joinable()) w.join();
  }
  int64_t max_ms() const { return max_ms_.load(); }
  uint64_t calls() const { return calls_.load(); }
  uint64_t errors() const { return errors_.load(); }
  void reset_max() { max_ms_.store(0); }

 private:
  Instance &inst_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> max_ms_{0};
  std::atomic<uint64_t> calls_{0}, errors_{0};
  std::vector<std::thread> workers_;
};

// What a test saw, for whoever reads the output of a failure (or a pass).
void report(const std::string &what, Instance &inst) {
  std::cout << "[   info   ] " << what << "\n";
  for (auto &[lvl, line] : inst.log().snapshot())
    std::cout << "[   log " << lvl << "  ] " << line << "\n";
  for (auto &[k, v] : inst.stats()) std::cout << "[   stat   ] " << k << "=" << v << "\n";
}

// Sets and gets a fresh key until it hits; returns how long that took.
std::optional<milliseconds> wait_for_hit(Instance &inst, milliseconds limit) {
  auto t0 = Clock::now();
  int i = 0;
  while (since(t0) < limit) {
    std::string key = "probe:" + std::to_string(i++);
    if (inst.set(key, "x", 60000) == FIBD_CACHE_OK && inst.get(key).status == FIBD_CACHE_HIT)
      return since(t0);
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

// -------------------------------------------------------------------- tests

TEST_F(RedisPluginTest, DescriptorIsThreadSafeButBlocking) {
  const auto *d = plugin_.desc;
  EXPECT_EQ(d->abi_version, FIBD_CACHE_ABI_VERSION);
  EXPECT_EQ(d->struct_size, sizeof(fibd_cache_descriptor));
  EXPECT_STREQ(d->name, "redis");
  EXPECT_NE(d->capabilities & FIBD_CACHE_CAP_THREAD_SAFE, 0u);
  EXPECT_EQ(d->capabilities & FIBD_CACHE_CAP_NON_BLOCKING, 0u);
  EXPECT_NE(d->del, nullptr);
  EXPECT_NE(d->clear, nullptr);
  EXPECT_NE(d->stats, nullptr);
}

TEST_F(RedisPluginTest, MissThenHit) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_EQ(c.get("10").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(c.set("10", "55", 0), FIBD_CACHE_OK);
  auto r = c.get("10");
  EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value, "55");
  EXPECT_EQ(c.del("10"), FIBD_CACHE_OK);
  EXPECT_EQ(c.del("10"), FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(c.get("10").status, FIBD_CACHE_NOT_FOUND);
  auto s = c.stats();
  EXPECT_EQ(s["hits"], 1u);
  EXPECT_EQ(s["misses"], 2u);
  EXPECT_EQ(s["errors"], 0u);
  EXPECT_GE(s["pool_connections"], 1u);
  EXPECT_EQ(s["breaker_state"], 0u);
}

TEST_F(RedisPluginTest, TtlIsVisibleWithPttl) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("ttl", "v", 60000), FIBD_CACHE_OK);
  long pttl = std::stol(redis().cli({"PTTL", "fibd:ttl"}));
  EXPECT_GT(pttl, 50000);
  EXPECT_LE(pttl, 60000);
  ASSERT_EQ(c.set("forever", "v", 0), FIBD_CACHE_OK);
  EXPECT_EQ(redis().cli({"PTTL", "fibd:forever"}), "-1");
  // And Redis really expires it.
  ASSERT_EQ(c.set("short", "v", 50), FIBD_CACHE_OK);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(c.get("short").status, FIBD_CACHE_NOT_FOUND);
}

TEST_F(RedisPluginTest, KeyPrefixNamespacesKeys) {
  start_redis();
  Instance a(plugin_, {{"address", addr()}});
  Instance b(plugin_, {{"address", addr()}, {"key_prefix", "app*[2]:"}});
  ASSERT_TRUE(a.ok()) << a.create_error();
  ASSERT_TRUE(b.ok()) << b.create_error();
  ASSERT_EQ(a.set("7", "13", 0), FIBD_CACHE_OK);
  ASSERT_EQ(b.set("7", "thirteen", 0), FIBD_CACHE_OK);
  EXPECT_EQ(redis().cli({"GET", "fibd:7"}), "13");
  EXPECT_EQ(redis().cli({"GET", "app*[2]:7"}), "thirteen");
  EXPECT_EQ(a.get("7").value, "13");
  EXPECT_EQ(b.get("7").value, "thirteen");
  // clear() removes only its own prefix, glob characters and all.
  redis().cli({"SET", "app-other:1", "keep"});
  redis().cli({"SET", "unrelated", "keep"});
  EXPECT_EQ(b.clear(), FIBD_CACHE_OK);
  EXPECT_EQ(b.get("7").status, FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(a.get("7").status, FIBD_CACHE_HIT);
  EXPECT_EQ(redis().cli({"GET", "app-other:1"}), "keep");
  EXPECT_EQ(redis().cli({"GET", "unrelated"}), "keep");
}

TEST_F(RedisPluginTest, OneMebibyteBinaryValue) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::string value(1 << 20, '\0');
  std::mt19937 rng(42);
  for (auto &ch : value) ch = static_cast<char>(rng());
  std::string key("bin\0key\r\n", 9);
  std::string err;
  ASSERT_EQ(c.set(key, value, 60000, &err), FIBD_CACHE_OK) << err;
  auto r = c.get(key);
  ASSERT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value.size(), value.size());
  EXPECT_TRUE(r.value == value);
  // What Redis holds is the same number of bytes (redis-cli cannot pass the
  // NUL in the key above, so a second key).
  ASSERT_EQ(c.set("big", value, 60000, &err), FIBD_CACHE_OK) << err;
  EXPECT_EQ(redis().cli({"STRLEN", "fibd:big"}), std::to_string(1 << 20));
}

TEST_F(RedisPluginTest, SixteenThreadsAtOnce) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"pool_size", "4"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 16; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string key = std::to_string(t) + ":" + std::to_string(i % 20);
        std::string value = "v" + std::to_string(t * 1000 + i % 20);
        if (c.set(key, value, 60000) != FIBD_CACHE_OK) ++errors;
        auto r = c.get(key);
        if (r.status != FIBD_CACHE_HIT) ++errors;
        else if (r.value != value) ++wrong;
        auto shared = c.get("shared");
        if (shared.status == FIBD_CACHE_ERROR) ++errors;
        if (i % 50 == 0) c.set("shared", "s", 60000);
      }
    });
  for (auto &t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  auto s = c.stats();
  EXPECT_LE(s["pool_connections"], 4u);
  EXPECT_EQ(s["pool_size"], 4u);
  EXPECT_EQ(s["errors"], 0u);
}

TEST_F(RedisPluginTest, UnixSocketWithRequirepass) {
  start_redis({"--requirepass", "s3cret pass"});
  Instance c(plugin_, {{"address", "unix:" + redis().socket_path()}, {"password", "s3cret pass"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_EQ(c.get("1").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(c.set("1", "1", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("1").value, "1");
  EXPECT_EQ(redis().cli({"GET", "fibd:1"}, {"-a", "s3cret pass"}), "1");
}

TEST_F(RedisPluginTest, AclUser) {
  start_redis();
  ASSERT_EQ(redis().cli({"ACL", "SETUSER", "fibd", "on", ">fibd-pw", "resetkeys", "~fibd:*",
                         "-@all", "+get", "+set", "+del", "+scan", "+unlink", "+ping",
                         "+select"}),
            "OK");
  Instance c(plugin_, {{"address", addr()}, {"username", "fibd"}, {"password", "fibd-pw"},
                       {"db", "1"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("90", "2880067194370816120", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("90").value, "2880067194370816120");
  EXPECT_EQ(redis().cli({"GET", "fibd:90"}, {"-n", "1"}), "2880067194370816120");
  EXPECT_EQ(c.clear(), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("90").status, FIBD_CACHE_NOT_FOUND);

  // A wrong password for that user: create() fails and says so.
  Instance bad(plugin_, {{"address", addr()}, {"username", "fibd"}, {"password", "nope"}});
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.create_error(),
              AllOf(HasSubstr("refused authentication"), HasSubstr("'fibd'"),
                    HasSubstr("WRONGPASS")));
}

TEST_F(RedisPluginTest, WrongPasswordFailsClearly) {
  start_redis({"--requirepass", "right"});
  {
    Instance c(plugin_, {{"address", addr()}, {"password", "wrong"}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(), AllOf(HasSubstr("refused authentication"),
                                        HasSubstr(addr()), HasSubstr("WRONGPASS")));
  }
  {
    Instance c(plugin_, {{"address", addr()}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(),
                AllOf(HasSubstr("requires authentication"), HasSubstr("'password'")));
  }
  {
    Instance c(plugin_, {{"address", addr()}, {"password", "right"}, {"db", "99"}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(), AllOf(HasSubstr("option 'db'"), HasSubstr("SELECT 99")));
  }
}

TEST_F(RedisPluginTest, BadOptionsFailNamingTheOption) {
  struct Case {
    Options opts;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"adress", "127.0.0.1:6379"}}, "unknown option 'adress'"},
      {{{"address", "localhost"}}, "option 'address'"},
      {{{"address", "127.0.0.1:99999"}}, "option 'address'"},
      {{{"address", "::1:6379"}}, "brackets"},
      {{{"address", "unix:relative.sock"}}, "option 'address'"},
      {{{"db", "-1"}}, "option 'db'"},
      {{{"db", "one"}}, "option 'db'"},
      {{{"pool_size", "0"}}, "option 'pool_size'"},
      {{{"pool_size", "many"}}, "option 'pool_size'"},
      {{{"connect_timeout", "5"}}, "option 'connect_timeout'"},
      {{{"command_timeout", "1x"}}, "option 'command_timeout'"},
      {{{"command_timeout", "0"}}, "option 'command_timeout'"},
      {{{"command_timeout", "2h"}}, "option 'command_timeout'"},
      {{{"username", "u"}}, "option 'username'"},
  };
  for (auto &c : cases) {
    Instance inst(plugin_, c.opts);
    EXPECT_FALSE(inst.ok()) << c.expect;
    EXPECT_THAT(inst.create_error(), HasSubstr(c.expect));
  }
  // And the good forms parse.
  start_redis();
  Instance ok(plugin_, {{"address", "localhost:" + std::to_string(port_)},
                        {"connect_timeout", "1m30.5s"},
                        {"command_timeout", "1.5s"},
                        {"pool_size", "2"},
                        {"key_prefix", ""},
                        {"db", "0"}});
  EXPECT_TRUE(ok.ok()) << ok.create_error();
}

TEST_F(RedisPluginTest, Ipv6AddressParses) {
  // Nothing listens there: create() still succeeds, with a warning.
  Instance c(plugin_, {{"address", "[::1]:" + std::to_string(port_)},
                       {"connect_timeout", "100ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("[::1]:" + std::to_string(port_), FIBD_LOG_WARN));
}

TEST_F(RedisPluginTest, TwoInstancesShareOneRedis) {
  // What two daemons behind a load balancer do: one's miss is the other's hit.
  start_redis();
  Instance a(plugin_, {{"address", addr()}});
  Instance b(plugin_, {{"address", "unix:" + redis().socket_path()}});
  ASSERT_TRUE(a.ok()) << a.create_error();
  ASSERT_TRUE(b.ok()) << b.create_error();
  EXPECT_EQ(a.get("100").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(a.set("100", "354224848179261915075", 15000), FIBD_CACHE_OK);
  auto r = b.get("100");
  EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value, "354224848179261915075");
}

TEST_F(RedisPluginTest, EnvironmentFallbackAndPrecedence) {
  start_redis();
  ::setenv("REDIS_ADDR", addr().c_str(), 1);
  ::setenv("REDIS_DB", "2", 1);
  {
    Instance c(plugin_, {});
    ASSERT_TRUE(c.ok()) << c.create_error();
    ASSERT_EQ(c.set("e", "env", 0), FIBD_CACHE_OK);
    EXPECT_EQ(redis().cli({"GET", "fibd:e"}, {"-n", "2"}), "env");
  }
  {
    Instance c(plugin_, {{"db", "3"}});  // the option wins over REDIS_DB
    ASSERT_TRUE(c.ok()) << c.create_error();
    ASSERT_EQ(c.set("e", "opt", 0), FIBD_CACHE_OK);
    EXPECT_EQ(redis().cli({"GET", "fibd:e"}, {"-n", "3"}), "opt");
  }
  ::setenv("REDIS_DB", "two", 1);
  {
    Instance c(plugin_, {});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(), HasSubstr("REDIS_DB"));
  }
  ::unsetenv("REDIS_ADDR");
  ::unsetenv("REDIS_DB");
}

TEST_F(RedisPluginTest, UnreachableAtCreateThenRecovers) {
  // Nothing listens on port_ yet.
  Instance c(plugin_, {{"address", addr()}, {"connect_timeout", "200ms"},
                       {"command_timeout", "200ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("not reachable", FIBD_LOG_WARN));

  auto t0 = Clock::now();
  auto r = c.get("1");
  EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(since(t0), 200ms + slack());

  // The breaker spares requests the connect attempt: many calls, quickly,
  // and only a few log lines.
  t0 = Clock::now();
  for (int i = 0; i < 500; ++i) EXPECT_EQ(c.get("1").status, FIBD_CACHE_ERROR);
  EXPECT_LT(since(t0), 2000ms);
  EXPECT_GT(c.stats()["breaker_rejected"], 400u);
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 10u);

  start_redis();
  auto took = wait_for_hit(c, 5s);
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after Redis started";
  report("hit after " + std::to_string(took->count()) + "ms", c);
  EXPECT_LT(*took, 2000ms);
  EXPECT_TRUE(c.log().contains("answers again", FIBD_LOG_INFO));
}

TEST_F(RedisPluginTest, RestartIsInvisibleToTheNextCall) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"pool_size", "3"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("a", "1", 0), FIBD_CACHE_OK);
  redis().kill();
  start_redis();
  // The idle connection died with the old server: the call notices, drops
  // it and retries on a fresh one.
  auto r = c.get("a");
  EXPECT_EQ(r.status, FIBD_CACHE_NOT_FOUND) << r.error;  // no persistence
  EXPECT_EQ(c.set("a", "2", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("a").value, "2");
}

TEST_F(RedisPluginTest, KilledMidLoadStaysBoundedAndRecovers) {
  start_redis();
  const auto timeout = 300ms;
  Instance c(plugin_, {{"address", addr()}, {"connect_timeout", "300ms"},
                       {"command_timeout", "300ms"}, {"pool_size", "4"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  Load load(c, 8);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(load.errors(), 0u);
  redis().kill();
  std::this_thread::sleep_for(1000ms);
  EXPECT_GT(load.errors(), 0u);
  EXPECT_GE(c.stats()["breaker_opens"], 1u);
  start_redis();
  auto took = wait_for_hit(c, 5s);
  load.stop();
  report("slowest call " + std::to_string(load.max_ms()) + "ms of " +
             std::to_string(load.calls()) + ", hit again after " +
             std::to_string(took ? took->count() : -1) + "ms",
         c);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count()) << "a call was not bounded";
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after Redis restarted";
  EXPECT_LT(*took, 2000ms);
  EXPECT_GT(load.calls(), 100u);
}

TEST_F(RedisPluginTest, FrozenRedisStaysBoundedAndRecovers) {
  start_redis({"--requirepass", "pw"});  // new connections must AUTH: that is bounded too
  const auto timeout = 200ms;
  Instance c(plugin_, {{"address", addr()}, {"password", "pw"}, {"command_timeout", "200ms"},
                       {"connect_timeout", "200ms"}, {"pool_size", "4"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  Load load(c, 8);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(load.errors(), 0u);
  redis().stop_signal();
  std::this_thread::sleep_for(1500ms);
  uint64_t calls_frozen = load.calls();
  EXPECT_GT(load.errors(), 0u);
  auto s = c.stats();
  EXPECT_GE(s["breaker_opens"], 1u);
  EXPECT_GT(s["breaker_rejected"], 0u);
  EXPECT_GT(s["timeouts"], 0u);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count()) << "a call was not bounded";
  redis().cont_signal();
  auto took = wait_for_hit(c, 5s);
  std::this_thread::sleep_for(200ms);  // the load gets some calls in, even on a busy machine
  load.stop();
  report("slowest call " + std::to_string(load.max_ms()) + "ms of " +
             std::to_string(load.calls()) + ", hit again after " +
             std::to_string(took ? took->count() : -1) + "ms",
         c);
  EXPECT_LT(load.max_ms(), (timeout + slack()).count());
  ASSERT_TRUE(took.has_value()) << "no hit within 5 s after SIGCONT";
  EXPECT_LT(*took, 2000ms);
  EXPECT_GT(load.calls(), calls_frozen);
}

// A request that misses does a GET and then a SET: against a frozen Redis the
// first call's timeout must open the breaker, so the SET fails at once and the
// request pays command_timeout once, not twice (one client, no other failures).
TEST_F(RedisPluginTest, OneTimeoutOpensTheBreaker) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "300ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("k", "v", 60000), FIBD_CACHE_OK);
  redis().stop_signal();
  auto t0 = Clock::now();
  auto got = c.get("k");
  auto get_took = since(t0);
  EXPECT_EQ(got.status, FIBD_CACHE_ERROR);
  EXPECT_THAT(got.error, HasSubstr("command_timeout"));
  EXPECT_GE(get_took, 300ms);
  EXPECT_EQ(c.stats()["breaker_state"], 1u);
  t0 = Clock::now();
  std::string error;
  EXPECT_EQ(c.set("k", "v2", 60000, &error), FIBD_CACHE_ERROR);
  auto set_took = since(t0);
  redis().cont_signal();
  EXPECT_THAT(error, HasSubstr("circuit breaker"));
  EXPECT_LT(set_took, 150ms) << "the SET waited for Redis again";
  EXPECT_TRUE(c.log().contains("circuit breaker open", FIBD_LOG_WARN));
  EXPECT_TRUE(wait_for_hit(c, 2s).has_value());
}

TEST_F(RedisPluginTest, ErrorsAreLoggedRateLimited) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}, {"command_timeout", "100ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  // A persistent per-command error (not an outage): WRONGTYPE on GET.
  redis().cli({"LPUSH", "fibd:list", "x"});
  for (int i = 0; i < 200; ++i) EXPECT_EQ(c.get("list").status, FIBD_CACHE_ERROR);
  EXPECT_THAT(c.get("list").error, HasSubstr("WRONGTYPE"));
  EXPECT_TRUE(c.log().contains("WRONGTYPE", FIBD_LOG_WARN));
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 5u);
  // The server answered: the breaker stays closed.
  EXPECT_EQ(c.stats()["breaker_state"], 0u);

  // An outage: many failed calls, few lines.
  redis().kill();
  for (int i = 0; i < 300; ++i) c.get("x");
  report("after 200 WRONGTYPE and 300 failed calls", c);
  EXPECT_LT(c.log().count_at_least(FIBD_LOG_WARN), 10u);
}

TEST_F(RedisPluginTest, DaemonDoesNotLinkHiredis) {
  auto readelf = find_in_path("readelf");
  if (!readelf) GTEST_SKIP() << "readelf not installed";
  std::string fibd = kBuildDir + "/bin/fibd";
  if (::access(fibd.c_str(), R_OK) != 0) GTEST_SKIP() << fibd << " not built";
  std::string daemon = run_capture(*readelf, {"-dW", fibd});
  ASSERT_THAT(daemon, HasSubstr("NEEDED"));
  EXPECT_THAT(daemon, ::testing::Not(HasSubstr("hiredis")));
  std::string plugin = run_capture(*readelf, {"-dW", kBuildDir + "/plugins/redis.so"});
  EXPECT_THAT(plugin, HasSubstr("libhiredis"));
}

}  // namespace
