// The redis plugin's handling of what Redis answers. redis.so does not parse
// the wire protocol itself (hiredis does), but it interprets every reply:
// PING/AUTH/SELECT at create(), GET/SET/DEL, SCAN+UNLINK for clear(). Here a
// fake Redis on a unix socket answers each command with the next fuzzed
// chunk of bytes (any RESP, valid or not, several replies in one chunk,
// truncated ones), and the plugin is driven through its C ABI exactly as
// fibd drives it: get and set with a completion, made on a fibd event loop
// (redis.so does their I/O on that loop, through the host's watches), del
// and clear synchronously from this thread (they drive the plugin's own
// loop here, as create()'s check does: no thread starts per input, and the
// fake answers every connection at once, so nothing waits for a timeout).
// Any crash, sanitizer
// report, hang, a call completed twice or never, an invalid status, or an
// error without a message is a failure.
// FIBD_FUZZ_VERBOSE=1 prints what the server sends and what the plugin logs.
#include <fibd/cache_plugin.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../support/host_loop.h"
#include "fuzz_check.h"

extern "C" const fibd_cache_descriptor* fibd_cache_plugin(void);

namespace {

struct Chunk {
  std::string bytes;
  bool close_after = false;
};

// A fake Redis: every complete command read, on any connection, gets the
// next chunk of the script; no chunk left means that connection closes.
class FakeRedis {
 public:
  FakeRedis() {
    char dir[] = "/tmp/fibd-fuzz-redis-XXXXXX";
    FUZZ_CHECK(mkdtemp(dir) != nullptr, "mkdtemp: %s", std::strerror(errno));
    dir_ = dir;
    path_ = dir_ + "/redis.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    FUZZ_CHECK(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
               "bind: %s", std::strerror(errno));
    FUZZ_CHECK(::listen(listen_fd_, 16) == 0, "listen");
    thread_ = std::jthread([this](std::stop_token st) { serve(st); });
  }
  ~FakeRedis() {
    thread_.request_stop();
    thread_.join();
    for (auto& c : clients_) close_client(c);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  const std::string& path() const { return path_; }

  void set_script(std::deque<Chunk> script) {
    std::lock_guard lock(mu_);
    script_ = std::move(script);
  }

 private:
  struct Client {
    int fd;
    redisReader* commands;
  };

  static void close_client(Client& c) {
    ::close(c.fd);
    redisReaderFree(c.commands);
    c.fd = -1;
  }

  void serve(const std::stop_token& st) {
    while (!st.stop_requested()) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents != 0 && !handle(clients_[i - 1]))
          close_client(clients_[i - 1]);
      std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) clients_.push_back({fd, redisReaderCreate()});
      }
    }
  }

  static bool write_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads what came and answers each whole command; false: close it.
  bool handle(Client& c) {
    char buf[4096];
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n <= 0) return false;
    if (redisReaderFeed(c.commands, buf, static_cast<std::size_t>(n)) != REDIS_OK)
      return false;
    void* command = nullptr;
    while (redisReaderGetReply(c.commands, &command) == REDIS_OK && command != nullptr) {
      freeReplyObject(command);
      Chunk next;
      {
        std::lock_guard lock(mu_);
        if (script_.empty()) return false;
        next = std::move(script_.front());
        script_.pop_front();
      }
      if (std::getenv("FIBD_FUZZ_VERBOSE") != nullptr) {
        std::fprintf(stderr, "server: %zu bytes%s\n", next.bytes.size(),
                     next.close_after ? ", then close" : "");
      }
      if (!write_all(c.fd, next.bytes) || next.close_after) return false;
    }
    return c.commands->err == 0;
  }

  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;  // the serving thread's
  std::mutex mu_;
  std::deque<Chunk> script_;
  std::jthread thread_;
};

// fibd's own loop and watch services, for the calls made on a loop.
// fibd ignores SIGPIPE (a peer that closed makes a write fail with EPIPE),
// and so does this host.
fibd::test::HostLoop& host_loop() {
  static fibd::test::HostLoop loop = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return fibd::test::HostLoop();
  }();
  return loop;
}

FakeRedis& fake_redis() {
  static FakeRedis server;
  return server;
}

// How many whole replies `bytes` holds, or -1 if it is not a sequence of
// whole replies (garbage, or one cut short). Arrays announcing more than
// kMaxElements are left out of the corpus: hiredis 0.14 allocates them as
// announced, before any element arrives (its own behaviour, not the
// plugin's; see docs/security.md).
constexpr long long kMaxElements = 1 << 16;

bool announces_huge_aggregate(const std::string& bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '*' && bytes[i] != '$') continue;
    if (i > 0 && bytes[i - 1] != '\n') continue;
    long long v = 0;
    std::size_t j = i + 1;
    while (j < bytes.size() && bytes[j] >= '0' && bytes[j] <= '9' &&
           v <= kMaxElements * 16) {
      v = v * 10 + (bytes[j] - '0');
      ++j;
    }
    if (v > kMaxElements * 16) return true;
  }
  return false;
}

int whole_replies(const std::string& bytes) {
  redisReader* r = redisReaderCreate();
  int count = 0;
  bool ok = redisReaderFeed(r, bytes.data(), bytes.size()) == REDIS_OK;
  void* reply = nullptr;
  while (ok && redisReaderGetReply(r, &reply) == REDIS_OK && reply != nullptr) {
    freeReplyObject(reply);
    ++count;
  }
  // Error, bytes not consumed, or an aggregate still waiting for elements
  // (hiredis 0.14 leaves a fresh task of type -1 after a complete reply).
  const bool idle = r->ridx == -1 || (r->ridx == 0 && r->rstack[0].type < 0);
  if (r->err != 0 || r->pos < r->len || !idle) count = -1;
  redisReaderFree(r);
  return count;
}

struct Sink {
  int puts = 0;
  std::string value;
  int refuse = 0;  // put() returns non-zero
  static int32_t put(fibd_cache_sink_ctx* ctx, const void* data, size_t len) {
    auto* s = reinterpret_cast<Sink*>(ctx);
    ++s->puts;
    FUZZ_CHECK(data != nullptr || len == 0, "NULL data with length %zu", len);
    if (len > 0) s->value.assign(static_cast<const char*>(data), len);
    return s->refuse;
  }
};

// The host's side of one get or set: redis.so answers PENDING and completes
// the call from the loop, exactly once, with a valid status.
class Completion {
 public:
  explicit Completion(bool is_get) : is_get_(is_get) {
    completion_.struct_size = sizeof completion_;
    completion_.ctx = reinterpret_cast<fibd_cache_completion_ctx*>(this);
    completion_.complete = &Completion::complete;
  }
  const fibd_cache_completion* get() const { return &completion_; }

  // The status the call ended with: `answered` itself, or what complete()
  // brought (waiting for it; command_timeout bounds every call).
  fibd_cache_status settle(fibd_cache_status answered) {
    std::unique_lock lock(mu_);
    if (answered != FIBD_CACHE_PENDING) {
      FUZZ_CHECK(count_ == 0, "completed although answered %u", answered);
      return answered;
    }
    FUZZ_CHECK(
        cv_.wait_for(lock, std::chrono::seconds(10), [this] { return count_ > 0; }),
        "a pending call never completed");
    return status_;
  }
  // After settle(): no second completion arrived meanwhile.
  void check_once() {
    std::lock_guard lock(mu_);
    FUZZ_CHECK(count_ <= 1, "completed %d times", count_);
  }
  const std::string& value() const { return value_; }

 private:
  static void complete(fibd_cache_completion_ctx* ctx, fibd_cache_status st,
                       const void* data, size_t len, const char* message) {
    auto* self = reinterpret_cast<Completion*>(ctx);
    std::lock_guard lock(self->mu_);
    ++self->count_;
    self->status_ = st;
    const bool valid = self->is_get_
                           ? (st == FIBD_CACHE_HIT || st == FIBD_CACHE_NOT_FOUND ||
                              st == FIBD_CACHE_EXPIRED || st == FIBD_CACHE_ERROR)
                           : (st == FIBD_CACHE_OK || st == FIBD_CACHE_ERROR);
    FUZZ_CHECK(valid, "completed with status %u", st);
    FUZZ_CHECK(st != FIBD_CACHE_HIT || data != nullptr || len == 0, "HIT with NULL data");
    if (st == FIBD_CACHE_HIT && len > 0)
      self->value_.assign(static_cast<const char*>(data), len);
    if (st == FIBD_CACHE_ERROR) {
      FUZZ_CHECK(message != nullptr && strnlen(message, 1024) > 0,
                 "ERROR without a message");
    }
    self->cv_.notify_all();
  }

  const bool is_get_;
  fibd_cache_completion completion_{};
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  fibd_cache_status status_ = FIBD_CACHE_ERROR;
  std::string value_;
};

void stat_put(fibd_cache_sink_ctx* ctx, const char* name, uint64_t) {
  FUZZ_CHECK(name != nullptr && std::strlen(name) < 64, "stat name");
  ++*reinterpret_cast<int*>(ctx);
}

void host_log(fibd_cache_host_ctx*, fibd_cache_log_level level, uint64_t,
              const char* message) {
  if (std::getenv("FIBD_FUZZ_VERBOSE") != nullptr)
    std::fprintf(stderr, "log: %s\n", message);
  FUZZ_CHECK(level <= FIBD_LOG_CRITICAL, "log level %u", level);
  FUZZ_CHECK(message != nullptr, "NULL log message");
  (void)std::strlen(message);  // must be NUL-terminated
}

// Makes a get or set on the host's loop (the call then carries it).
template <typename Call>
fibd_cache_status made_on(fibd::test::HostLoop& loop, fibd_cache_call& call, Call make) {
  call.loop = loop.handle;
  const fibd_cache_status status = loop.run(make);
  call.loop = nullptr;
  return status;
}

void check_error(fibd_cache_status s, const char* err) {
  if (s != FIBD_CACHE_ERROR) return;
  const std::size_t len = strnlen(err, 256);
  FUZZ_CHECK(len > 0 && len < 256, "error without a terminated message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FakeRedis& server = fake_redis();
  FuzzedDataProvider in(data, size);

  // Options: the fake server, short timeouts, and fuzzed choices among the
  // ones that change which commands are sent.
  std::vector<std::pair<std::string, std::string>> options = {
      {"address", "unix:" + server.path()},
      {"connect_timeout", "20ms"},
      {"command_timeout", "20ms"},
      {"pool_size", in.ConsumeBool() ? "1" : "2"},  // accepted, without effect
  };
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  if (flags & 1) options.emplace_back("password", "secret");
  if (flags & 2) options.emplace_back("username", "fibd");
  if (flags & 4) options.emplace_back("db", "3");
  if (flags & 8) options.emplace_back("key_prefix", in.ConsumeRandomLengthString(16));
  fibd::test::HostLoop& on_loop = host_loop();

  std::deque<Chunk> script;
  const int chunks = in.ConsumeIntegralInRange<int>(0, 12);
  for (int i = 0; i < chunks; ++i) {
    Chunk c;
    c.bytes = in.ConsumeRandomLengthString(256);
    if (announces_huge_aggregate(c.bytes)) return -1;  // not added to the corpus
    c.close_after = in.ConsumeBool() || whole_replies(c.bytes) < 1;
    script.push_back(std::move(c));
  }
  server.set_script(std::move(script));

  std::vector<fibd_cache_option> opts;
  for (const auto& [k, v] : options)
    opts.push_back({sizeof(fibd_cache_option), 0, k.c_str(), v.c_str()});
  fibd_cache_config config{};
  config.struct_size = sizeof config;
  config.option_size = sizeof(fibd_cache_option);
  config.options = opts.data();
  config.option_count = opts.size();
  config.default_ttl_ms = 15000;
  fibd_cache_host host{};
  host.struct_size = sizeof host;
  host.abi_version = FIBD_CACHE_ABI_VERSION;
  host.log = &host_log;
  const fibd_cache_host* fibd = on_loop.services.services();
  host.watch_new = fibd->watch_new;
  host.watch_set = fibd->watch_set;
  host.watch_activate = fibd->watch_activate;
  host.watch_free = fibd->watch_free;
  host.monotonic_ns = [](fibd_cache_host_ctx*) -> uint64_t {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  };

  const fibd_cache_descriptor* d = fibd_cache_plugin();
  char err[256];
  std::memset(err, 0x7f, sizeof err);
  fibd_cache_instance* instance = d->create(&host, &config, err, sizeof err);
  fibd_cache_call call{};
  call.struct_size = sizeof call;
  if (std::getenv("FIBD_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "create: %s\n", instance ? "ok" : err);
  }
  if (instance == nullptr) {
    FUZZ_CHECK(strnlen(err, sizeof err) > 0 && strnlen(err, sizeof err) < sizeof err,
               "create failed without a message");
    server.set_script({});
    return 0;
  }

  const int ops = in.ConsumeIntegralInRange<int>(1, 8);
  for (int i = 0; i < ops && in.remaining_bytes() > 0; ++i) {
    const std::string key = in.ConsumeRandomLengthString(24);
    err[0] = '\0';
    call.call_id = static_cast<uint64_t>(i) + 1;
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0: {
        Sink sink;
        sink.refuse = in.ConsumeBool() ? 0 : 1;
        fibd_cache_sink s{sizeof(fibd_cache_sink), 0,
                          reinterpret_cast<fibd_cache_sink_ctx*>(&sink), &Sink::put};
        Completion done(/*is_get=*/true);
        call.completion = done.get();
        auto get = [&] {
          return d->get(instance, &call, key.data(), key.size(), &s, err, sizeof err);
        };
        const fibd_cache_status answered = made_on(on_loop, call, get);
        FUZZ_CHECK(answered == FIBD_CACHE_PENDING || answered == FIBD_CACHE_HIT ||
                       answered == FIBD_CACHE_NOT_FOUND ||
                       answered == FIBD_CACHE_EXPIRED || answered == FIBD_CACHE_ERROR,
                   "get status %u", answered);
        if (answered != FIBD_CACHE_PENDING) {
          FUZZ_CHECK(sink.puts <= 1, "put() called %d times", sink.puts);
          FUZZ_CHECK(answered != FIBD_CACHE_HIT || (sink.puts == 1 && sink.refuse == 0),
                     "HIT without an accepted put()");
          check_error(answered, err);
        }
        done.settle(answered);
        done.check_once();
        break;
      }
      case 1: {
        const std::string value = in.ConsumeRandomLengthString(64);
        Completion done(/*is_get=*/false);
        call.completion = done.get();
        const uint32_t ttl = in.ConsumeIntegral<uint32_t>();
        auto set = [&] {
          return d->set(instance, &call, key.data(), key.size(), value.data(),
                        value.size(), ttl, err, sizeof err);
        };
        const fibd_cache_status answered = made_on(on_loop, call, set);
        FUZZ_CHECK(answered == FIBD_CACHE_PENDING || answered == FIBD_CACHE_OK ||
                       answered == FIBD_CACHE_ERROR,
                   "set status %u", answered);
        if (answered != FIBD_CACHE_PENDING) check_error(answered, err);
        done.settle(answered);
        done.check_once();
        break;
      }
      case 2: {
        call.completion = nullptr;
        const fibd_cache_status st =
            d->del(instance, &call, key.data(), key.size(), err, sizeof err);
        FUZZ_CHECK(
            st == FIBD_CACHE_OK || st == FIBD_CACHE_NOT_FOUND || st == FIBD_CACHE_ERROR,
            "del status %u", st);
        check_error(st, err);
        break;
      }
      case 3: {
        call.completion = nullptr;
        const fibd_cache_status st = d->clear(instance, &call, err, sizeof err);
        FUZZ_CHECK(st == FIBD_CACHE_OK || st == FIBD_CACHE_ERROR, "clear status %u", st);
        check_error(st, err);
        break;
      }
      default: {
        int count = 0;
        fibd_cache_stats_sink s{sizeof(fibd_cache_stats_sink), 0,
                                reinterpret_cast<fibd_cache_sink_ctx*>(&count),
                                &stat_put};
        FUZZ_CHECK(d->stats(instance, &s, err, sizeof err) == FIBD_CACHE_OK,
                   "stats failed");
        break;
      }
    }
  }
  d->destroy(instance);
  server.set_script({});
  return 0;
}
