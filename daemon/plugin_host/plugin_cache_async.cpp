// Lookups of async plugins (FIBD_CACHE_FEATURE_ASYNC) that hold no thread
// while the plugin works: the answer reaches the caller's `done` from the
// thread that completes the call (the plugin's), and a handle cancels it.
#include <atomic>

#include "base/log.h"
#include "plugin_host/plugin_cache.h"
#include "plugin_host/plugin_host.h"

namespace fibd {

namespace {

// The caller's `done`, run by whichever comes first of the plugin's
// synchronous answer and its completion (a plugin that does both breaks the
// contract; the caller still hears once).
struct AsyncGet {
  CacheLookupDone done;
  std::atomic<bool> fired{false};

  void finish(CacheLookup lookup) {
    if (fired.exchange(true, std::memory_order_acq_rel)) return;
    done(std::move(lookup));
  }
};

CacheLookup from_completion(PendingCall& call) {
  CacheLookup lookup;
  const fibd_cache_status status = call.status();
  if (status == FIBD_CACHE_ERROR) lookup.error = call.message();
  lookup.outcome = PluginCache::outcome_of(status, lookup.error);
  if (lookup.outcome == CacheOutcome::Hit) lookup.value = std::move(call.value());
  return lookup;
}

// Cancels one pending call. It owns nothing: the caller keeps the cache
// alive while it may cancel (Cache::get_async). Holding the instance here
// would let its last reference go on whatever thread drops the handle,
// instead of through the reaper.
class PendingLookup final : public CacheLookupHandle {
 public:
  PendingLookup(PluginCache& cache, std::uint64_t call_id)
      : cache_(cache), call_id_(call_id) {}
  void cancel() override {
    if (cancelled_.exchange(true)) return;
    cache_.cancel_call(call_id_);
  }

 private:
  PluginCache& cache_;
  const std::uint64_t call_id_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::shared_ptr<CacheLookupHandle> PluginCache::get_async(
    std::string_view key, std::chrono::steady_clock::time_point deadline,
    CacheLookupDone done) {
  if (!descriptor_.async()) return Cache::get_async(key, deadline, std::move(done));
  auto failed = [](const char* why) {
    CacheLookup lookup;
    lookup.error = why;
    return lookup;
  };
  std::shared_ptr<AsyncGet> state;
  try {
    state = std::make_shared<AsyncGet>();
  } catch (const std::exception& e) {
    done(failed(e.what()));
    return nullptr;
  }
  state->done = std::move(done);
  try {
    auto pending = PendingCall::start(true, pending_);
    pending->on_done(
        [state, call = pending.get()] { state->finish(from_completion(*call)); });
    CallOptions options;
    options.deadline = deadline;
    // Nothing here waits for the answer, so the plugin may use the caller's
    // loop (if this thread is one) to get it.
    options.loop = PluginHost::current_loop();
    const fibd_cache_call call = make_call(options, pending.get());
    CacheLookup now;
    const fibd_cache_status status =
        start_get(key, now.value, now.error, call, pending.get());
    if (status == FIBD_CACHE_PENDING) {
      return std::make_shared<PendingLookup>(*this, call.call_id);
    }
    now.outcome = outcome_of(status, now.error);
    state->finish(std::move(now));
  } catch (const std::exception& e) {  // out of memory around the call
    state->finish(failed(e.what()));
  }
  return nullptr;
}

void PluginCache::cancel_call(std::uint64_t call_id) {
  try {
    descriptor_.cancel(instance_, call_id);
  } catch (...) {
    spdlog::default_logger()->error(
        "plugin {}: contract violation: a C++ exception escaped from cancel()",
        descriptor_.name);
  }
}

}  // namespace fibd
