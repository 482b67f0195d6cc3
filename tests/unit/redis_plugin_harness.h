// redis.so through its C ABI: loading it, calling it, capturing its log, and
// the fixture every redis.so test starts from.
#pragma once

#include <condition_variable>
#include <memory>

#include "redis_server.h"

namespace fibd_redis_test {

// ------------------------------------------------------------ C ABI harness

struct Plugin {
  void* handle = nullptr;
  const fibd_cache_descriptor* desc = nullptr;
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
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
};

// What an instance told its host from any thread: log lines, and the
// metrics it pushed (metric_add, metric_set).
struct LogCapture {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> lines;
  std::map<std::string, int64_t> metrics;

  static void metric_add(fibd_cache_host_ctx* ctx, const char* name, uint64_t delta) {
    auto* self = reinterpret_cast<LogCapture*>(ctx);
    std::lock_guard lock(self->mu);
    self->metrics[name] += static_cast<int64_t>(delta);
  }
  static void metric_set(fibd_cache_host_ctx* ctx, const char* name, int64_t value) {
    auto* self = reinterpret_cast<LogCapture*>(ctx);
    std::lock_guard lock(self->mu);
    self->metrics[name] = value;
  }
  // The metric's value; -1 when it was never pushed.
  int64_t metric(const std::string& name) {
    std::lock_guard lock(mu);
    auto it = metrics.find(name);
    return it == metrics.end() ? -1 : it->second;
  }
  size_t metric_count() {
    std::lock_guard lock(mu);
    return metrics.size();
  }

  static void log(fibd_cache_host_ctx* ctx, fibd_cache_log_level level, uint64_t,
                  const char* msg) {
    auto* self = reinterpret_cast<LogCapture*>(ctx);
    std::lock_guard lock(self->mu);
    self->lines.emplace_back(static_cast<int>(level), msg);
  }
  std::vector<std::pair<int, std::string>> snapshot() {
    std::lock_guard lock(mu);
    return lines;
  }
  bool contains(const std::string& needle, int min_level = 0) {
    std::lock_guard lock(mu);
    for (auto& [lvl, l] : lines)
      if (lvl >= min_level && l.find(needle) != std::string::npos) return true;
    return false;
  }
  size_t count_at_least(int level) {
    std::lock_guard lock(mu);
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(),
                                             [&](auto& p) { return p.first >= level; }));
  }
};

using Options = std::vector<std::pair<std::string, std::string>>;

struct GetResult {
  fibd_cache_status status;
  std::string value;
  std::string error;
};

// The host's side of one asynchronous call: the completion handed to the
// plugin, what came back through it, how often and from which thread.
class Waiter {
 public:
  Waiter() {
    completion_.struct_size = sizeof completion_;
    completion_.ctx = reinterpret_cast<fibd_cache_completion_ctx*>(this);
    completion_.complete = &Waiter::complete;
  }
  const fibd_cache_completion* completion() const { return &completion_; }

  // True once complete() ran, waiting at most `limit`.
  bool wait(milliseconds limit = 30s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return count_ > 0; });
  }
  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  GetResult result() const {
    std::lock_guard lock(mu_);
    return {status_, value_, message_};
  }
  std::thread::id thread() const {
    std::lock_guard lock(mu_);
    return thread_;
  }

 private:
  static void complete(fibd_cache_completion_ctx* ctx, fibd_cache_status status,
                       const void* data, size_t len, const char* message) {
    auto* self = reinterpret_cast<Waiter*>(ctx);
    std::lock_guard lock(self->mu_);
    if (++self->count_ == 1) {
      self->status_ = status;
      if (data != nullptr) self->value_.assign(static_cast<const char*>(data), len);
      if (message != nullptr) self->message_ = message;
      self->thread_ = std::this_thread::get_id();
    }
    self->cv_.notify_all();
  }

  fibd_cache_completion completion_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  fibd_cache_status status_ = FIBD_CACHE_ERROR;
  std::string value_, message_;
  std::thread::id thread_;
};

// What get/set answered at once, and the waiter when that was PENDING.
struct Started {
  fibd_cache_status status;
  std::string error;
  std::shared_ptr<Waiter> waiter;
  uint64_t call_id;
};

inline uint64_t steady_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   Clock::now().time_since_epoch())
                                   .count());
}

// One instance of the plugin; destroy() in the destructor.
class Instance {
 public:
  // With `loop_services`, the instance gets that host's event-loop watches
  // (fibd's ignore their ctx), and calls made with a loop may use them.
  // `host_size`: the host's struct_size (an older host's is smaller).
  Instance(const Plugin& p, const Options& opts, uint64_t default_ttl_ms = 0,
           const fibd_cache_host* loop_services = nullptr,
           size_t host_size = sizeof(fibd_cache_host))
      : desc_(p.desc) {
    host_.struct_size = static_cast<uint32_t>(host_size);
    host_.abi_version = FIBD_CACHE_ABI_VERSION;
    host_.ctx = reinterpret_cast<fibd_cache_host_ctx*>(&log_);
    host_.log = &LogCapture::log;
    host_.monotonic_ns = [](fibd_cache_host_ctx*) { return steady_ns(); };
    host_.metric_add = &LogCapture::metric_add;
    host_.metric_set = &LogCapture::metric_set;
    if (loop_services != nullptr) {
      host_.watch_new = loop_services->watch_new;
      host_.watch_set = loop_services->watch_set;
      host_.watch_activate = loop_services->watch_activate;
      host_.watch_free = loop_services->watch_free;
    }
    std::vector<fibd_cache_option> o;
    for (auto& [k, v] : opts)
      o.push_back({sizeof(fibd_cache_option), 0, k.c_str(), v.c_str()});
    fibd_cache_config cfg{};
    cfg.struct_size = sizeof cfg;
    cfg.option_size = sizeof(fibd_cache_option);
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
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool ok() const { return inst_ != nullptr; }
  fibd_cache_instance* raw() const { return inst_; }
  const std::string& create_error() const { return error_; }
  LogCapture& log() { return log_; }

  // Starts an asynchronous get/set; `deadline_ns` on the steady clock, 0 for
  // none. The waiter is kept alive by the instance: a plugin that completes
  // late never writes to freed memory.
  // `loop`: the host loop whose thread makes the call.
  Started start_get(const std::string& key, uint64_t deadline_ns = 0,
                    fibd_cache_loop* loop = nullptr) {
    auto w = keep(std::make_shared<Waiter>());
    char err[512] = "";
    fibd_cache_call call = make_call(deadline_ns, w.get(), loop);
    auto s =
        desc_->get(inst_, &call, key.data(), key.size(), &refused_sink_, err, sizeof err);
    return {s, err, w, call.call_id};
  }
  Started start_set(const std::string& key, const std::string& value, uint64_t ttl_ms,
                    uint64_t deadline_ns = 0, fibd_cache_loop* loop = nullptr) {
    auto w = keep(std::make_shared<Waiter>());
    char err[512] = "";
    fibd_cache_call call = make_call(deadline_ns, w.get(), loop);
    auto s = desc_->set(inst_, &call, key.data(), key.size(), value.data(), value.size(),
                        ttl_ms, err, sizeof err);
    return {s, err, w, call.call_id};
  }
  void cancel(uint64_t call_id) { desc_->cancel(inst_, call_id); }

  // A get as the daemon makes it: waits for a PENDING answer.
  GetResult get(const std::string& key, uint64_t deadline_ns = 0) {
    return settle(start_get(key, deadline_ns));
  }
  fibd_cache_status set(const std::string& key, const std::string& value, uint64_t ttl_ms,
                        std::string* error = nullptr) {
    GetResult r = settle(start_set(key, value, ttl_ms));
    if (error != nullptr) *error = r.error;
    return r.status;
  }
  fibd_cache_status del(const std::string& key) {
    char err[512] = "";
    fibd_cache_call call = make_call(0);
    return desc_->del(inst_, &call, key.data(), key.size(), err, sizeof err);
  }
  fibd_cache_status clear() {
    char err[512] = "";
    fibd_cache_call call = make_call(0);
    return desc_->clear(inst_, &call, err, sizeof err);
  }
  std::map<std::string, uint64_t> stats() {
    std::map<std::string, uint64_t> m;
    fibd_cache_stats_sink sink{
        sizeof(fibd_cache_stats_sink), 0, reinterpret_cast<fibd_cache_sink_ctx*>(&m),
        [](fibd_cache_sink_ctx* ctx, const char* name, uint64_t v) {
          (*reinterpret_cast<std::map<std::string, uint64_t>*>(ctx))[name] = v;
        }};
    char err[256] = "";
    desc_->stats(inst_, &sink, err, sizeof err);
    return m;
  }

 private:
  fibd_cache_call make_call(uint64_t deadline_ns, const Waiter* w = nullptr,
                            fibd_cache_loop* loop = nullptr) {
    fibd_cache_call call{};
    call.struct_size = sizeof call;
    call.deadline_ns = deadline_ns;
    call.call_id = ++next_call_id_;
    call.completion = w != nullptr ? w->completion() : nullptr;
    call.loop = loop;
    return call;
  }
  std::shared_ptr<Waiter> keep(std::shared_ptr<Waiter> w) {
    std::lock_guard lock(waiters_mu_);
    waiters_.push_back(w);
    return w;
  }
  static GetResult settle(const Started& s) {
    if (s.status != FIBD_CACHE_PENDING) {
      EXPECT_EQ(s.waiter->count(), 0) << "completed although not PENDING";
      return {s.status, {}, s.error};
    }
    EXPECT_TRUE(s.waiter->wait()) << "a PENDING call never completed";
    return s.waiter->result();
  }
  // An async plugin never uses the sink: any put() is a failure.
  static int32_t refuse_put(fibd_cache_sink_ctx*, const void*, size_t) {
    ADD_FAILURE() << "sink->put() from an asynchronous get";
    return 1;
  }
  fibd_cache_sink refused_sink_{sizeof(fibd_cache_sink), 0, nullptr, &refuse_put};
  std::mutex waiters_mu_;
  std::vector<std::shared_ptr<Waiter>> waiters_;

  const fibd_cache_descriptor* desc_;
  fibd_cache_host host_{};
  LogCapture log_;
  fibd_cache_instance* inst_ = nullptr;
  std::atomic<uint64_t> next_call_id_{0};
  std::string error_;
};

// The host metric `name` and stats()[name] agree (a gauge that is never
// negative, or a counter).
inline void expect_metric_is_stat(Instance& c, const std::string& name) {
  EXPECT_EQ(c.log().metric(name), static_cast<int64_t>(c.stats()[name])) << name;
}

// Waits until stats()[name] >= at_least (a liveness limit, not a target).
inline bool wait_stat(Instance& c, const std::string& name, uint64_t at_least) {
  auto t0 = Clock::now();
  while (since(t0) < 10s) {
    if (c.stats()[name] >= at_least) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

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
    ASSERT_TRUE(server_->start())
        << "redis-server did not start; see " << dir_ << "/redis.log";
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  RedisServer& redis() { return *server_; }

  Plugin plugin_;
  std::string dir_;
  int port_ = -1;
  std::unique_ptr<RedisServer> server_;
};

// Runs get/set from `threads` threads until stopped; records the slowest call.
class Load {
 public:
  Load(Instance& inst, int threads) : inst_(inst) {
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
    for (auto& w : workers_)
      if (w.joinable()) w.join();
  }
  int64_t max_ms() const { return max_ms_.load(); }
  uint64_t calls() const { return calls_.load(); }
  uint64_t errors() const { return errors_.load(); }
  void reset_max() { max_ms_.store(0); }

 private:
  Instance& inst_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> max_ms_{0};
  std::atomic<uint64_t> calls_{0}, errors_{0};
  std::vector<std::thread> workers_;
};

// Options create() must refuse, and what its error must say.
struct Refusal {
  Options opts;
  std::vector<std::string> expect;
};
inline void expect_refused(const std::vector<Refusal>& cases) {
  Plugin plugin;
  ASSERT_NE(plugin.desc, nullptr) << plugin.error;
  for (const auto& c : cases) {
    Instance inst(plugin, c.opts);
    EXPECT_FALSE(inst.ok()) << c.expect[0];
    for (const auto& e : c.expect) EXPECT_THAT(inst.create_error(), HasSubstr(e));
  }
}

// What a test saw, for whoever reads the output of a failure (or a pass).
inline void report(const std::string& what, Instance& inst) {
  std::cout << "[   info   ] " << what << "\n";
  for (auto& [lvl, line] : inst.log().snapshot())
    std::cout << "[   log " << lvl << "  ] " << line << "\n";
  for (auto& [k, v] : inst.stats()) std::cout << "[   stat   ] " << k << "=" << v << "\n";
}

// Sets and gets a fresh key until it hits; returns how long that took.
inline std::optional<milliseconds> wait_for_hit(Instance& inst, milliseconds limit) {
  auto t0 = Clock::now();
  int i = 0;
  while (since(t0) < limit) {
    std::string key = "probe:" + std::to_string(i++);
    if (inst.set(key, "x", 60000) == FIBD_CACHE_OK &&
        inst.get(key).status == FIBD_CACHE_HIT)
      return since(t0);
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

}  // namespace fibd_redis_test
