/*
 * <fibd/cache_plugin.hpp> — write a fibd cache plugin as a C++17 class.
 *
 * Header-only, on top of the C ABI in <fibd/cache_plugin.h>. A plugin is a
 * class; one macro turns it into a descriptor and the exported factory.
 *
 * Synchronous style (an in-memory cache):
 *
 *   class MyCache {
 *    public:
 *     // Throw (any std::exception) to make create() fail with what(); fibd
 *     // puts the plugin's name in front of it, so leave yours out.
 *     MyCache(const fibd::plugin::Host& host, const fibd::plugin::Config& config);
 *
 *     // Required. On a hit, hand the value to out.put() and return hit.
 *     fibd::plugin::Lookup get(std::string_view key, fibd::plugin::Value& out);
 *     // Required. ttl.count() == 0 means the entry never expires; this TTL
 *     // wins over Config::default_ttl().
 *     void set(std::string_view key, std::string_view value,
 *              std::chrono::milliseconds ttl);
 *
 *     // Optional, detected at compile time:
 *     bool del(std::string_view key);          // true: removed, false: not found
 *     void clear();
 *     void stats(fibd::plugin::Stats& out);    // out.put("hits", n) ...
 *   };
 *
 * Asynchronous style (a remote cache): instead of get/set, the class has
 *
 *     void get_async(std::string_view key, const fibd::plugin::Call& call,
 *                    fibd::plugin::GetCompletion done);
 *     void set_async(std::string_view key, std::string_view value,
 *                    std::chrono::milliseconds ttl, const fibd::plugin::Call& call,
 *                    fibd::plugin::SetCompletion done);
 *     void cancel(std::uint64_t call_id);      // then done.cancelled() soon
 *
 *   Keep `done` (it is movable, not copyable) and call one of its methods once,
 *   from any thread, whenever the answer is there, even before get_async()
 *   returns. A completion destroyed without being used completes the call
 *   with an error, so a call is never left hanging. call.deadline() says when
 *   nobody waits any more. The descriptor then requires
 *   FIBD_CACHE_FEATURE_ASYNC; the class must be thread-safe.
 *
 *   FIBD_CACHE_PLUGIN(MyCache, "mycache", "1.0.0", "What it does, one line",
 *                     FIBD_CACHE_CAP_THREAD_SAFE)
 *
 * Errors: throw. Every exception is caught at the boundary and becomes
 * FIBD_CACHE_ERROR (or a failed create()) carrying its what(); nothing C++
 * ever crosses into the host. The destructor is destroy() and must not throw;
 * it runs on the host's reaper thread after every completion has fired.
 *
 * Threading: without FIBD_CACHE_CAP_THREAD_SAFE the host serialises all calls
 * on an instance; with it, get/set/del/clear/stats run concurrently and the
 * class does its own locking.
 *
 * Build with g++ -fno-gnu-unique (pkg-config --cflags fibd-plugin has it, and
 * preferably -fvisibility=hidden): see "Loading and unloading" in
 * <fibd/cache_plugin.h>. This header itself has no function-local statics and
 * no static template members.
 */
#ifndef FIBD_CACHE_PLUGIN_HPP
#define FIBD_CACHE_PLUGIN_HPP

#include <fibd/cache_plugin.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fibd {
namespace plugin {

// What get() found.
enum class Lookup { hit, not_found, expired };

enum class LogLevel : std::uint32_t {
  trace = FIBD_LOG_TRACE,
  debug = FIBD_LOG_DEBUG,
  info = FIBD_LOG_INFO,
  warn = FIBD_LOG_WARN,
  error = FIBD_LOG_ERROR,
  critical = FIBD_LOG_CRITICAL
};

// Thrown by the helpers below; plugins may throw it (or anything else).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The host's services. Cheap to copy; valid until the instance is destroyed.
// Every member may be called from any thread and never throws.
class Host {
 public:
  explicit Host(const fibd_cache_host* host) noexcept : host_(host) {}

  // One line in fibd's log as "[plugin/NAME] message" ("[req ID] " in front
  // when request_id is not 0).
  void log(LogLevel level, std::string_view message,
           std::uint64_t request_id = 0) const noexcept {
    if (!has(offsetof(fibd_cache_host, log) + sizeof(host_->log)) || !host_->log) return;
    try {
      std::string line(message);  // NUL-terminated copy
      host_->log(host_->ctx, static_cast<fibd_cache_log_level>(level), request_id,
                 line.c_str());
    } catch (...) {
    }
  }
  void trace(std::string_view m) const noexcept { log(LogLevel::trace, m); }
  void debug(std::string_view m) const noexcept { log(LogLevel::debug, m); }
  void info(std::string_view m) const noexcept { log(LogLevel::info, m); }
  void warn(std::string_view m) const noexcept { log(LogLevel::warn, m); }
  void error(std::string_view m) const noexcept { log(LogLevel::error, m); }

  // The host's monotonic clock, the clock of Call::deadline_ns().
  std::uint64_t monotonic_ns() const noexcept {
    if (has(offsetof(fibd_cache_host, monotonic_ns) + sizeof(host_->monotonic_ns)) &&
        host_->monotonic_ns) {
      return host_->monotonic_ns(host_->ctx);
    }
    return 0;
  }
  // Plugin metrics in /metrics; names are [a-z0-9_]{1,64}.
  void counter_add(const char* name, std::uint64_t delta) const noexcept {
    if (has(offsetof(fibd_cache_host, metric_add) + sizeof(host_->metric_add)) &&
        host_->metric_add) {
      host_->metric_add(host_->ctx, name, delta);
    }
  }
  void gauge_set(const char* name, std::int64_t value) const noexcept {
    if (has(offsetof(fibd_cache_host, metric_set) + sizeof(host_->metric_set)) &&
        host_->metric_set) {
      host_->metric_set(host_->ctx, name, value);
    }
  }

  const fibd_cache_host* raw() const noexcept { return host_; }

 private:
  bool has(std::size_t end) const noexcept {
    return host_ != nullptr && host_->struct_size >= end;
  }
  const fibd_cache_host* host_;
};

// What create() was given. Only valid during the constructor: copy what you keep.
class Config {
 public:
  explicit Config(const fibd_cache_config* config) noexcept : config_(config) {}

  // cache.expiration; zero means entries never expire. Informational: the
  // host passes the TTL with every set(), and that one wins (never apply
  // this one yourself).
  std::chrono::milliseconds default_ttl() const {
    if (!covers(offsetof(fibd_cache_config, default_ttl_ms) + sizeof(std::uint64_t))) {
      return std::chrono::milliseconds(0);
    }
    return to_millis(config_->default_ttl_ms);
  }
  // The deadline a call usually gets from the host; zero when none.
  std::chrono::nanoseconds call_timeout() const {
    if (!covers(offsetof(fibd_cache_config, call_timeout_ns) + sizeof(std::uint64_t))) {
      return std::chrono::nanoseconds(0);
    }
    constexpr auto max =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t ns = config_->call_timeout_ns;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(ns > max ? max : ns));
  }

  // cache.options, in the order of the config file (read option_size bytes
  // apart, with fibd_cache_option_at()).
  std::vector<std::pair<std::string_view, std::string_view>> options() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    if (!covers(offsetof(fibd_cache_config, option_count) + sizeof(std::uint64_t))) {
      return out;
    }
    for (std::uint64_t i = 0; i < config_->option_count; ++i) {
      const fibd_cache_option* o = fibd_cache_option_at(config_, i);
      if (o == nullptr) break;
      out.emplace_back(o->key ? o->key : "", o->value ? o->value : "");
    }
    return out;
  }

  // The value of one option, if given.
  std::optional<std::string_view> option(std::string_view key) const {
    for (const auto& kv : options()) {
      if (kv.first == key) return kv.second;
    }
    return std::nullopt;
  }

  // Throws Error naming the first option whose key is not in `known`.
  void reject_unknown(std::initializer_list<std::string_view> known) const {
    for (const auto& kv : options()) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || kv.first == k;
      if (ok) continue;
      std::string message = "unknown option '" + std::string(kv.first) + "'";
      if (known.size() == 0) {
        message += " (this plugin takes no options)";
      } else {
        message += " (known: ";
        bool first = true;
        for (std::string_view k : known) {
          if (!first) message += ", ";
          message += std::string(k);
          first = false;
        }
        message += ")";
      }
      throw Error(message);
    }
  }

  const fibd_cache_config* raw() const noexcept { return config_; }

  static std::chrono::milliseconds to_millis(std::uint64_t ms) noexcept {
    using rep = std::chrono::milliseconds::rep;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<rep>::max());
    return std::chrono::milliseconds(static_cast<rep>(ms > max ? max : ms));
  }

 private:
  bool covers(std::size_t end) const noexcept {
    return config_ != nullptr && config_->struct_size >= end;
  }
  const fibd_cache_config* config_;
};

// One call's context: its deadline and ids. Borrowed for the call; copy it
// (it is a small value) to keep it past get_async()/set_async().
class Call {
 public:
  Call() noexcept = default;
  explicit Call(const fibd_cache_call* call) noexcept {
    if (call == nullptr) return;
    auto has = [call](std::size_t end) { return call->struct_size >= end; };
    if (has(offsetof(fibd_cache_call, deadline_ns) + 8)) deadline_ns_ = call->deadline_ns;
    if (has(offsetof(fibd_cache_call, request_id) + 8)) request_id_ = call->request_id;
    if (has(offsetof(fibd_cache_call, call_id) + 8)) call_id_ = call->call_id;
    if (has(offsetof(fibd_cache_call, loop) + sizeof(call->loop))) loop_ = call->loop;
  }
  // Host monotonic nanoseconds (Host::monotonic_ns()); 0 = no deadline.
  std::uint64_t deadline_ns() const noexcept { return deadline_ns_; }
  std::uint64_t request_id() const noexcept { return request_id_; }
  std::uint64_t call_id() const noexcept { return call_id_; }
  // The host event loop whose thread makes the call, or nullptr: for the
  // watch services (Host::raw()), see "Event-loop watches" in the C header.
  fibd_cache_loop* loop() const noexcept { return loop_; }

 private:
  std::uint64_t deadline_ns_ = 0, request_id_ = 0, call_id_ = 0;
  fibd_cache_loop* loop_ = nullptr;
};

// Where a synchronous get() delivers a hit: call put() once, then return
// Lookup::hit.
class Value {
 public:
  explicit Value(const fibd_cache_sink* sink) noexcept : sink_(sink) {}

  // Copies the bytes to the host. Throws Error if called twice or if the
  // host cannot take the value.
  void put(std::string_view bytes) {
    if (delivered_) throw Error("Value::put called twice in one get");
    if (sink_ == nullptr || sink_->put == nullptr ||
        sink_->put(sink_->ctx, bytes.data(), bytes.size()) != 0) {
      throw Error("the host could not take a value of " + std::to_string(bytes.size()) +
                  " bytes");
    }
    delivered_ = true;
  }
  bool delivered() const noexcept { return delivered_; }

 private:
  const fibd_cache_sink* sink_;
  bool delivered_ = false;
};

// Where stats() reports counters. Names: lowercase letters, digits and '_'.
class Stats {
 public:
  explicit Stats(const fibd_cache_stats_sink* sink) noexcept : sink_(sink) {}
  void put(const char* name, std::uint64_t value) const noexcept {
    if (sink_ != nullptr && sink_->put != nullptr) sink_->put(sink_->ctx, name, value);
  }

 private:
  const fibd_cache_stats_sink* sink_;
};

// The one-shot end of an asynchronous call. Movable, not copyable; the first
// method called completes the call, later ones do nothing. Destroyed unused,
// it completes the call with an error.
class Completion {
 public:
  explicit Completion(const fibd_cache_completion* c) noexcept : c_(c) {}
  Completion(Completion&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  Completion& operator=(Completion&& o) noexcept {
    if (this != &o) {
      finish(FIBD_CACHE_ERROR, nullptr, 0, "the plugin dropped a pending call");
      c_ = o.c_;
      o.c_ = nullptr;
    }
    return *this;
  }
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  ~Completion() {
    finish(FIBD_CACHE_ERROR, nullptr, 0, "the plugin dropped a pending call");
  }

  void error(std::string_view message) noexcept {
    try {
      std::string text(message);
      finish(FIBD_CACHE_ERROR, nullptr, 0, text.c_str());
    } catch (...) {
      finish(FIBD_CACHE_ERROR, nullptr, 0, "out of memory");
    }
  }
  void cancelled() noexcept { finish(FIBD_CACHE_CANCELLED, nullptr, 0, nullptr); }
  bool done() const noexcept { return c_ == nullptr; }

 protected:
  void finish(fibd_cache_status s, const void* data, std::size_t len,
              const char* message) noexcept {
    const fibd_cache_completion* c = c_;
    c_ = nullptr;
    if (c != nullptr && c->complete != nullptr)
      c->complete(c->ctx, s, data, len, message);
  }

 private:
  const fibd_cache_completion* c_;
};

class GetCompletion : public Completion {
 public:
  using Completion::Completion;
  void hit(std::string_view value) noexcept {
    finish(FIBD_CACHE_HIT, value.data(), value.size(), nullptr);
  }
  void not_found() noexcept { finish(FIBD_CACHE_NOT_FOUND, nullptr, 0, nullptr); }
  void expired() noexcept { finish(FIBD_CACHE_EXPIRED, nullptr, 0, nullptr); }
};

class SetCompletion : public Completion {
 public:
  using Completion::Completion;
  void ok() noexcept { finish(FIBD_CACHE_OK, nullptr, 0, nullptr); }
};

}  // namespace plugin
}  // namespace fibd

/* How a class becomes the C entry points (namespace fibd::plugin::detail). */
#include <fibd/cache_plugin_adapter.hpp>

/* Defines the descriptor of plugin class `Class` and exports it through the
 * factory `fibd_cache_plugin` (the default cache.factory). */
#define FIBD_CACHE_PLUGIN(Class, name, version, description, capabilities)        \
  FIBD_CACHE_PLUGIN_FACTORY(fibd_cache_plugin, Class, name, version, description, \
                            capabilities)

/* The same, exporting the factory under another symbol name. */
#define FIBD_CACHE_PLUGIN_FACTORY(symbol, Class, name, version, description, \
                                  capabilities)                              \
  FIBD_CACHE_EXPORT const fibd_cache_descriptor* symbol(void);               \
  FIBD_CACHE_EXPORT const fibd_cache_descriptor* symbol(void) {              \
    static constexpr fibd_cache_descriptor fibd_descriptor_ =                \
        ::fibd::plugin::detail::Adapter<Class>::descriptor(                  \
            (name), (version), (description), (capabilities));               \
    return &fibd_descriptor_;                                                \
  }

#endif /* FIBD_CACHE_PLUGIN_HPP */
