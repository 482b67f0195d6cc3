#include "async_call.h"

#include <chrono>

namespace fibd_redis {

HostClock::HostClock(const fibd_cache_host* host) {
  if (host != nullptr &&
      FIBD_CACHE_HAS_FIELD(fibd_cache_host, host->struct_size, monotonic_ns) &&
      host->monotonic_ns != nullptr) {
    fn_ = host->monotonic_ns;
    ctx_ = host->ctx;
  }
}

uint64_t HostClock::now_ns() const {
  if (fn_ != nullptr) return fn_(ctx_);
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

AsyncCall::AsyncCall(Kind k, const fibd_cache_call& call)
    : kind(k),
      call_id(call.call_id),
      request_id(call.request_id),
      deadline_ns(call.deadline_ns),
      completion_(call.completion) {}

void AsyncCall::deliver(fibd_cache_status status, std::string_view value,
                        const char* message) {
  // After complete() returns the completion is gone: nothing touches it again.
  completion_->complete(completion_->ctx, status,
                        status == FIBD_CACHE_HIT ? value.data() : nullptr,
                        status == FIBD_CACHE_HIT ? value.size() : 0, message);
}

void CallRegistry::add(const std::shared_ptr<AsyncCall>& call) {
  std::lock_guard lock(mu_);
  calls_[call->call_id] = call;
}

std::shared_ptr<AsyncCall> CallRegistry::take(uint64_t call_id) {
  std::lock_guard lock(mu_);
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return nullptr;
  auto call = std::move(it->second);
  calls_.erase(it);
  return call;
}

bool CallRegistry::claim(AsyncCall& call) {
  if (!call.claim()) return false;
  std::lock_guard lock(mu_);
  auto it = calls_.find(call.call_id);
  if (it != calls_.end() && it->second.get() == &call) calls_.erase(it);
  return true;
}

bool CallRegistry::cancel(uint64_t call_id, std::atomic<uint64_t>& cancelled) {
  auto call = take(call_id);
  if (!call || !call->claim()) return false;
  cancelled.fetch_add(1, std::memory_order_relaxed);
  call->deliver(FIBD_CACHE_CANCELLED, {}, nullptr);
  return true;
}

void CallRegistry::fail_all(const char* message) {
  std::unordered_map<uint64_t, std::shared_ptr<AsyncCall>> calls;
  {
    std::lock_guard lock(mu_);
    calls.swap(calls_);
  }
  for (auto& [id, call] : calls) call->complete(FIBD_CACHE_ERROR, {}, message);
}

size_t CallRegistry::size() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

}  // namespace fibd_redis
