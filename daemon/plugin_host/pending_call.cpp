#include "plugin_host/pending_call.h"

#include <cstring>

#include "base/log.h"

namespace fibd {

void PendingCounter::add() {
  std::lock_guard lock(mu_);
  ++count_;
}

void PendingCounter::remove() {
  std::lock_guard lock(mu_);
  if (--count_ == 0) cv_.notify_all();
}

bool PendingCounter::wait_idle_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return count_ == 0; });
}

std::uint64_t PendingCounter::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

PendingCall::PendingCall(bool is_get, std::shared_ptr<PendingCounter> counter)
    : is_get_(is_get), counter_(std::move(counter)) {
  completion_.struct_size = sizeof completion_;
  completion_.ctx = reinterpret_cast<fibd_cache_completion_ctx*>(this);
  completion_.complete = &PendingCall::complete;
}

PendingCall::~PendingCall() = default;

std::shared_ptr<PendingCall> PendingCall::start(bool is_get,
                                                std::shared_ptr<PendingCounter> counter) {
  std::shared_ptr<PendingCall> call(new PendingCall(is_get, std::move(counter)));
  call->plugin_share_ = call;
  call->counter_->add();
  return call;
}

void PendingCall::release_plugin_share(std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<PendingCall> share = std::move(plugin_share_);
  // Counted down before the waiter can see the answer, so a caller that got
  // its answer never sees the call still pending (lock order: mu_, then the
  // counter's).
  if (share) counter_->remove();
  cv_.notify_all();
  lock.unlock();
  // `share` may be the last reference: `this` can be gone from here on.
}

void PendingCall::answered(fibd_cache_status status) {
  std::unique_lock lock(mu_);
  answered_ = true;
  if (status == FIBD_CACHE_PENDING) return;
  if (completions_ == 0) release_plugin_share(lock);
}

void PendingCall::complete(fibd_cache_completion_ctx* ctx, fibd_cache_status status,
                           const void* data, std::size_t len,
                           const char* message) noexcept {
  auto* self = reinterpret_cast<PendingCall*>(ctx);
  std::unique_lock lock(self->mu_);
  if (++self->completions_ > 1 || (self->answered_ && !self->plugin_share_)) {
    // Only reachable while someone else still holds the call (a test, the
    // conformance checker): a plugin that completes twice is reported there.
    spdlog::default_logger()->error(
        "cache plugin contract violation: a call completed {} times", self->completions_);
    return;
  }
  self->completed_on_ = std::this_thread::get_id();
  self->completed_inline_ = !self->answered_ && self->completed_on_ == self->caller_;
  try {
    bool valid = self->is_get_
                     ? (status == FIBD_CACHE_HIT || status == FIBD_CACHE_NOT_FOUND ||
                        status == FIBD_CACHE_EXPIRED || status == FIBD_CACHE_ERROR ||
                        status == FIBD_CACHE_CANCELLED)
                     : (status == FIBD_CACHE_OK || status == FIBD_CACHE_ERROR ||
                        status == FIBD_CACHE_CANCELLED);
    self->status_ = status;
    if (!valid) {
      self->status_ = FIBD_CACHE_ERROR;
      self->message_ = std::string("contract violation: ") +
                       (self->is_get_ ? "get" : "set") +
                       " completed with invalid status " + std::to_string(status);
    } else if (status == FIBD_CACHE_HIT) {
      if (data == nullptr && len > 0) {
        self->status_ = FIBD_CACHE_ERROR;
        self->message_ = "contract violation: get completed HIT with a NULL value";
      } else if (len > 0) {
        self->value_.assign(static_cast<const char*>(data), len);
      }
    } else if (status == FIBD_CACHE_ERROR) {
      std::size_t n = message ? strnlen(message, 1024) : 0;
      self->message_ = n ? std::string(message, n) : "(the plugin gave no reason)";
    }
  } catch (...) {
    self->status_ = FIBD_CACHE_ERROR;
    self->message_ = "out of memory while taking the plugin's answer";
  }
  self->done_ = true;
  // Kept alive past release_plugin_share (which may drop the last
  // reference) for as long as on_done runs.
  std::shared_ptr<PendingCall> alive = self->plugin_share_;
  std::function<void()> done = std::move(self->on_done_);
  self->release_plugin_share(lock);
  if (!done) return;
  try {
    done();
  } catch (...) {
    spdlog::default_logger()->error("cache call: the host could not take a completion");
  }
}

bool PendingCall::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return done_; });
}

fibd_cache_status PendingCall::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

int PendingCall::completions() const {
  std::lock_guard lock(mu_);
  return completions_;
}

}  // namespace fibd
