#include "plugin_host/plugin_cache.h"

#include <algorithm>
#include <limits>

#include "base/log.h"
#include "plugin_host/cache_factory.h"
#include "plugin_host/call_buffers.h"

namespace fibd {

namespace {

using detail::ErrorBuffer;
using detail::OptionArray;
using detail::StatsSink;
using detail::ValueSink;

bool known_status(fibd_cache_status s, std::initializer_list<fibd_cache_status> allowed) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [s](fibd_cache_status a) { return a == s; });
}

template <class T>
fibd_cache_sink_ctx* sink_ctx(T* state) {
  return reinterpret_cast<fibd_cache_sink_ctx*>(state);
}

std::uint64_t steady_ns(std::chrono::steady_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  return ns.count() <= 0 ? 1 : static_cast<std::uint64_t>(ns.count());
}

fibd_cache_status violation(std::string& error, const std::string& what) {
  error = "contract violation: " + what;
  return FIBD_CACHE_ERROR;
}

fibd_cache_status bad_status(std::string& error, const char* call,
                             fibd_cache_status status) {
  return violation(
      error, std::string(call) + " returned invalid status " + std::to_string(status));
}

const char* kEscaped = "a C++ exception escaped from the plugin";

// A thread's get buffer is not kept past this size (a hit of F(10^6) is
// 209 kB).
constexpr std::size_t kKeepBufferBytes = 64 * 1024;

}  // namespace

PluginCache::PluginCache(std::unique_ptr<PluginImage> image, PluginDescriptor descriptor,
                         std::chrono::milliseconds call_timeout, bool oldest_v2_host)
    : image_(std::move(image)),
      descriptor_(std::move(descriptor)),
      host_(descriptor_.name, oldest_v2_host),
      call_timeout_(call_timeout),
      oldest_v2_host_(oldest_v2_host) {}

std::shared_ptr<PluginCache> PluginCache::start(std::unique_ptr<PluginImage> image,
                                                PluginDescriptor descriptor,
                                                const Options& options,
                                                std::chrono::milliseconds default_ttl,
                                                std::chrono::milliseconds call_timeout,
                                                const HostShape& shape) {
  std::shared_ptr<PluginCache> cache(new PluginCache(
      std::move(image), std::move(descriptor), call_timeout, shape.oldest_v2));
  const PluginDescriptor& d = cache->descriptor_;
  auto fail = [&](const std::string& why) -> void {
    throw CacheLoadError("cannot load cache plugin " + cache->path() + ": plugin '" +
                         d.name + "' " + d.version + " failed to start: " + why);
  };

  const OptionArray opts(options, shape.option_size);
  fibd_cache_config config{};
  config.struct_size = sizeof config;
  config.option_size = opts.stride();
  config.options = opts.first();
  config.option_count = options.size();
  config.default_ttl_ms =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, default_ttl.count()));
  config.call_timeout_ns =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, call_timeout.count())) *
      1000000u;

  ErrorBuffer err;
  fibd_cache_instance* instance = nullptr;
  try {
    instance = d.create(cache->host_.services(), &config, err.text, sizeof err.text);
  } catch (...) {
    fail(kEscaped);
  }
  if (instance == nullptr) fail(err.message());
  cache->instance_ = instance;
  return cache;
}

PluginCache::~PluginCache() {
  if (instance_ != nullptr) {
    // destroy() comes after every completion: a plugin may still be
    // completing calls whose callers stopped waiting.
    while (!pending_->wait_idle_until(std::chrono::steady_clock::now() +
                                      std::chrono::seconds(10))) {
      spdlog::default_logger()->warn(
          "plugin {}: still waiting for {} pending call(s) to complete before destroy()",
          descriptor_.name, pending_->count());
    }
    try {
      descriptor_.destroy(instance_);
    } catch (...) {
      spdlog::default_logger()->error("plugin {}: destroy(): {}", descriptor_.name,
                                      kEscaped);
    }
    instance_ = nullptr;
  }
  // Members go now: host_, then image_ (dlclose and the RTLD_NOLOAD check).
}

std::unique_lock<std::mutex> PluginCache::lock() {
  if (descriptor_.thread_safe()) return std::unique_lock<std::mutex>();
  return std::unique_lock<std::mutex>(mutex_);
}

template <class Call>
std::optional<fibd_cache_status> PluginCache::locked(Call&& call) {
  try {
    auto guard = lock();
    return call();
  } catch (...) {
    return std::nullopt;
  }
}

template <class Call>
fibd_cache_status PluginCache::checked_call(
    const char* name, std::initializer_list<fibd_cache_status> allowed,
    std::string& error, Call&& call) {
  ErrorBuffer err;
  const auto called = locked([&] { return call(err.text, sizeof err.text); });
  if (!called) return violation(error, kEscaped);
  const fibd_cache_status status = *called;
  if (status == FIBD_CACHE_ERROR) error = err.message();
  if (!known_status(status, allowed)) return bad_status(error, name, status);
  return status;
}

fibd_cache_call PluginCache::make_call(const CallOptions& options,
                                       const PendingCall* pending) {
  fibd_cache_call c{};
  c.struct_size = oldest_v2_host_ ? FIBD_CACHE_CALL_V2_MIN_SIZE : sizeof c;
  auto deadline = options.deadline ? *options.deadline
                                   : std::chrono::steady_clock::now() + call_timeout_;
  c.deadline_ns = steady_ns(deadline);
  c.request_id = options.request_id;
  c.call_id = next_call_id_.fetch_add(1, std::memory_order_relaxed);
  c.completion = pending != nullptr ? pending->completion() : nullptr;
  c.loop = oldest_v2_host_ ? nullptr : options.loop;
  return c;
}

fibd_cache_status PluginCache::await(PendingCall& call, const fibd_cache_call& c,
                                     std::string& error, CallTrace* trace) {
  using std::chrono::steady_clock;
  auto deadline = steady_clock::time_point(std::chrono::nanoseconds(c.deadline_ns));
  bool done = call.wait_until(deadline);
  if (!done) {
    if (trace) trace->cancelled = true;
    try {
      descriptor_.cancel(instance_, c.call_id);
    } catch (...) {
      return violation(error, kEscaped);
    }
    done = call.wait_until(steady_clock::now() + kCancelGrace);
  }
  if (trace) {
    trace->completed = done;
    trace->completed_inline = call.completed_inline();
  }
  if (!done) {
    error = "the plugin did not complete call " + std::to_string(c.call_id) + " within " +
            std::to_string(kCancelGrace.count()) + " ms of cancel()";
    return FIBD_CACHE_ERROR;
  }
  fibd_cache_status status = call.status();
  if (status == FIBD_CACHE_ERROR) error = call.message();
  if (status == FIBD_CACHE_CANCELLED) error = "cancelled at the call's deadline";
  return status;
}

fibd_cache_status PluginCache::get_status(std::string_view key, std::string& value,
                                          std::string& error, const CallOptions& options,
                                          CallTrace* trace) {
  std::shared_ptr<PendingCall> pending;
  if (descriptor_.async()) pending = PendingCall::start(true, pending_);
  if (trace) trace->call = pending;
  const fibd_cache_call call = make_call(options, pending.get());
  fibd_cache_status status = start_get(key, value, error, call, pending.get());
  if (status != FIBD_CACHE_PENDING) return status;
  if (trace) trace->pending = true;
  status = await(*pending, call, error, trace);
  if (status == FIBD_CACHE_HIT) {
    value.swap(pending->value());
    return status;
  }
  if (!known_status(status,
                    {FIBD_CACHE_NOT_FOUND, FIBD_CACHE_EXPIRED, FIBD_CACHE_CANCELLED})) {
    return FIBD_CACHE_ERROR;  // error filled by await()
  }
  return status;
}

fibd_cache_status PluginCache::start_get(std::string_view key, std::string& value,
                                         std::string& error, const fibd_cache_call& call,
                                         PendingCall* pending) {
  ErrorBuffer err;
  ValueSink sink_state;
  // The plugin copies the value into a per-thread buffer that keeps its
  // capacity, and a valid HIT swaps it into the caller's string (left
  // untouched otherwise), whose old buffer is kept for next time: once the
  // buffers have grown, a hit allocates nothing.
  thread_local std::string got;
  got.clear();
  sink_state.value = &got;
  fibd_cache_sink sink{sizeof(fibd_cache_sink), 0, sink_ctx(&sink_state),
                       &ValueSink::put};
  const auto called = locked([&] {
    return descriptor_.get(instance_, &call, key.data(), key.size(), &sink, err.text,
                           sizeof err.text);
  });
  if (pending) pending->answered(called.value_or(FIBD_CACHE_ERROR));
  if (!called) return violation(error, kEscaped);
  const fibd_cache_status status = *called;
  if (status == FIBD_CACHE_PENDING && pending) return status;
  if (!known_status(status, {FIBD_CACHE_HIT, FIBD_CACHE_NOT_FOUND, FIBD_CACHE_EXPIRED,
                             FIBD_CACHE_ERROR})) {
    if (status == FIBD_CACHE_PENDING) {
      return violation(error,
                       "get returned PENDING, but the plugin does not require "
                       "FIBD_CACHE_FEATURE_ASYNC");
    }
    return bad_status(error, "get", status);
  }
  if (status == FIBD_CACHE_ERROR) {
    error = err.message();
    return FIBD_CACHE_ERROR;
  }
  if (status != FIBD_CACHE_HIT) {
    if (sink_state.puts > 0) {
      return violation(error, "get delivered a value but did not return HIT");
    }
    return status;
  }
  if (sink_state.puts == 0) return violation(error, "get returned HIT without a value");
  if (sink_state.puts > 1) return violation(error, "get delivered more than one value");
  if (sink_state.failed) return violation(error, "get returned HIT after put() failed");
  value.swap(got);
  if (got.capacity() > kKeepBufferBytes) std::string().swap(got);
  return FIBD_CACHE_HIT;
}

fibd_cache_status PluginCache::set_status(std::string_view key, std::string_view value,
                                          std::uint64_t ttl_ms, std::string& error,
                                          const CallOptions& options, CallTrace* trace) {
  ErrorBuffer err;
  std::shared_ptr<PendingCall> pending;
  if (descriptor_.async()) pending = PendingCall::start(false, pending_);
  if (trace) trace->call = pending;
  const fibd_cache_call call = make_call(options, pending.get());
  const auto called = locked([&] {
    return descriptor_.set(instance_, &call, key.data(), key.size(), value.data(),
                           value.size(), ttl_ms, err.text, sizeof err.text);
  });
  if (pending) pending->answered(called.value_or(FIBD_CACHE_ERROR));
  if (!called) return violation(error, kEscaped);
  const fibd_cache_status status = *called;
  if (status == FIBD_CACHE_PENDING && pending) {
    if (trace) trace->pending = true;
    return await(*pending, call, error, trace);
  }
  if (status == FIBD_CACHE_ERROR) error = err.message();
  if (!known_status(status, {FIBD_CACHE_OK, FIBD_CACHE_ERROR})) {
    if (status == FIBD_CACHE_PENDING) {
      return violation(error,
                       "set returned PENDING, but the plugin does not require "
                       "FIBD_CACHE_FEATURE_ASYNC");
    }
    return bad_status(error, "set", status);
  }
  return status;
}

fibd_cache_status PluginCache::del(std::string_view key, std::string& error) {
  if (descriptor_.del == nullptr) {
    error = "the plugin does not offer del";
    return FIBD_CACHE_ERROR;
  }
  const fibd_cache_call call = make_call({}, nullptr);
  return checked_call("del", {FIBD_CACHE_OK, FIBD_CACHE_NOT_FOUND, FIBD_CACHE_ERROR},
                      error, [&](char* err, std::size_t err_len) {
                        return descriptor_.del(instance_, &call, key.data(), key.size(),
                                               err, err_len);
                      });
}

fibd_cache_status PluginCache::clear(std::string& error) {
  if (descriptor_.clear == nullptr) {
    error = "the plugin does not offer clear";
    return FIBD_CACHE_ERROR;
  }
  const fibd_cache_call call = make_call({}, nullptr);
  return checked_call("clear", {FIBD_CACHE_OK, FIBD_CACHE_ERROR}, error,
                      [&](char* err, std::size_t err_len) {
                        return descriptor_.clear(instance_, &call, err, err_len);
                      });
}

fibd_cache_status PluginCache::stats(
    std::vector<std::pair<std::string, std::uint64_t>>& out, std::string& error) {
  if (descriptor_.stats == nullptr) {
    error = "the plugin does not offer stats";
    return FIBD_CACHE_ERROR;
  }
  StatsSink sink_state;
  std::vector<std::pair<std::string, std::uint64_t>> got;
  sink_state.out = &got;
  fibd_cache_stats_sink sink{sizeof(fibd_cache_stats_sink), 0, sink_ctx(&sink_state),
                             &StatsSink::put};
  const fibd_cache_status status =
      checked_call("stats", {FIBD_CACHE_OK, FIBD_CACHE_ERROR}, error,
                   [&](char* err, std::size_t err_len) {
                     return descriptor_.stats(instance_, &sink, err, err_len);
                   });
  if (status == FIBD_CACHE_OK && sink_state.failed) {
    error = "out of memory while collecting stats";
    return FIBD_CACHE_ERROR;
  }
  if (status == FIBD_CACHE_OK) out = std::move(got);
  return status;
}

CacheOutcome PluginCache::outcome_of(fibd_cache_status status, std::string& error) {
  switch (status) {
    case FIBD_CACHE_HIT:
      return CacheOutcome::Hit;
    case FIBD_CACHE_NOT_FOUND:
      return CacheOutcome::NotFound;
    case FIBD_CACHE_EXPIRED:
      return CacheOutcome::Expired;
    case FIBD_CACHE_CANCELLED:
      error = "the plugin did not answer by the call's deadline (cancelled)";
      return CacheOutcome::Error;
    default:
      return CacheOutcome::Error;
  }
}

CacheOutcome PluginCache::get(std::string_view key, std::string& value,
                              std::string& error) {
  return outcome_of(get_status(key, value, error), error);
}

bool PluginCache::set(std::string_view key, std::string_view value,
                      std::chrono::milliseconds ttl, std::string& error) {
  auto ttl_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, ttl.count()));
  return set_status(key, value, ttl_ms, error) == FIBD_CACHE_OK;
}

}  // namespace fibd
