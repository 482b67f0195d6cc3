// One asynchronous get or set the host waits for, and the registry that
// finds it again for cancel(). A call completes exactly once, whoever gets
// there first: the reply on the I/O thread, its deadline's timer, cancel()
// on a host thread, or destroy().
#pragma once

#include <fibd/cache_plugin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fibd_redis {

// The host's monotonic clock (the clock of fibd_cache_call.deadline_ns), or
// the steady clock (the same CLOCK_MONOTONIC) when the host offers none.
class HostClock {
 public:
  explicit HostClock(const fibd_cache_host* host);
  uint64_t now_ns() const;

 private:
  decltype(fibd_cache_host::monotonic_ns) fn_ = nullptr;
  fibd_cache_host_ctx* ctx_ = nullptr;
};

class AsyncCall {
 public:
  enum class Kind { Get, Set };

  // `call` and its completion come from the host's get/set; only the
  // completion pointer is kept (valid until complete() has returned).
  AsyncCall(Kind kind, const fibd_cache_call& call);

  // Hands the answer to the host unless the call already completed: true
  // when this was the one completion. `value` only with HIT.
  bool complete(fibd_cache_status status, std::string_view value = {},
                const char* message = nullptr) {
    if (!claim()) return false;
    deliver(status, value, message);
    return true;
  }
  // complete() in two steps, so that what the plugin counts about a call is
  // counted before the host can see its answer: claim() is true for the one
  // caller that must then deliver().
  bool claim() { return !done_.exchange(true, std::memory_order_acq_rel); }
  void deliver(fibd_cache_status status, std::string_view value, const char* message);
  bool done() const { return done_.load(std::memory_order_acquire); }

  const Kind kind;
  const uint64_t call_id;
  const uint64_t request_id;
  const uint64_t deadline_ns;  // host clock, 0 = none

 private:
  const fibd_cache_completion* completion_;
  std::atomic<bool> done_{false};
};

// The calls still owed a completion, by call_id.
class CallRegistry {
 public:
  void add(const std::shared_ptr<AsyncCall>& call);
  // Claims `call` (see AsyncCall::claim) and forgets it; the caller then
  // delivers the answer.
  bool claim(AsyncCall& call);
  // cancel(): completes call `call_id` with CANCELLED, here and now, if it is
  // still owed (counted in `cancelled` first). Never blocks for long.
  bool cancel(uint64_t call_id, std::atomic<uint64_t>& cancelled);
  // Drops `call_id` without completing it (the call was answered without
  // PENDING after all).
  void forget(uint64_t call_id) { take(call_id); }
  // destroy(): completes every call still owed with ERROR and `message`.
  void fail_all(const char* message);
  size_t size() const;

 private:
  std::shared_ptr<AsyncCall> take(uint64_t call_id);

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<AsyncCall>> calls_;
};

}  // namespace fibd_redis
