#include "http/event_watch.h"

#include <event2/event.h>
#include <sys/time.h>

#include <atomic>

namespace fibd {

class EventWatch final : public LoopWatch {
 public:
  EventWatch(std::shared_ptr<WatchRegistry> registry, int fd, Callback callback,
             void* arg)
      : registry_(std::move(registry)), fd_(fd), callback_(callback), arg_(arg) {}

  bool create() {
    ev_ = event_new(registry_->base_, fd_, EV_PERSIST, &EventWatch::fire, this);
    return ev_ != nullptr;
  }

  ~EventWatch() override {
    event* ev = nullptr;
    {
      std::lock_guard lock(registry_->mutex_);
      // orphan_all() freed the event, or there never was one.
      if (registry_->stopped_ || ev_ == nullptr) return;
      registry_->watches_.erase(this);
      ev = ev_;
      ++registry_->freeing_;
    }
    // Outside the lock: from another thread event_free() waits for a run of
    // the callback in progress, and that run may take the lock.
    event_free(ev);
    std::lock_guard lock(registry_->mutex_);
    if (--registry_->freeing_ == 0) registry_->idle_.notify_all();
  }

  bool set(std::uint32_t events, std::chrono::nanoseconds timeout) override {
    // Under the lock: an activate() from another thread must not land
    // between event_del() and event_assign().
    std::lock_guard lock(registry_->mutex_);
    if (ev_ == nullptr) return false;
    short what = EV_PERSIST;
    if (events & kRead) what |= EV_READ;
    if (events & kWrite) what |= EV_WRITE;
    const bool idle = (events & (kRead | kWrite)) == 0 && timeout.count() <= 0;
    const bool untimed = timeout.count() <= 0 && timeout_.count() > 0;
    bool ok = true;
    if (what != what_ || untimed || idle) {
      // A changed set of events, a timeout taken away, or nothing to wait
      // for: a fresh start. event_del() also drops an activation not yet
      // run; it is made again below.
      event_del(ev_);
      ok = event_assign(ev_, registry_->base_, fd_, what, &EventWatch::fire, this) == 0;
      what_ = what;
    }
    timeout_ = timeout;
    if (ok && !idle) {
      if (timeout.count() <= 0) {
        ok = event_add(ev_, nullptr) == 0;
      } else {
        const auto us = std::chrono::ceil<std::chrono::microseconds>(timeout).count();
        timeval tv{static_cast<time_t>(us / 1'000'000),
                   static_cast<suseconds_t>(us % 1'000'000)};
        ok = event_add(ev_, &tv) == 0;  // on a pending event: the timeout only
      }
    }
    if (ok && activated_.load(std::memory_order_relaxed)) event_active(ev_, 0, 0);
    return ok;
  }

  bool activate() override {
    std::lock_guard lock(registry_->mutex_);
    if (registry_->stopped_) return false;
    activated_.store(true, std::memory_order_relaxed);
    event_active(ev_, 0, 0);
    return true;
  }

 private:
  friend class WatchRegistry;
  static void fire(evutil_socket_t, short what, void* self) {
    auto* w = static_cast<EventWatch*>(self);
    w->activated_.store(false, std::memory_order_relaxed);
    std::uint32_t events = 0;
    if (what & EV_READ) events |= kRead;
    if (what & EV_WRITE) events |= kWrite;
    if (what & EV_TIMEOUT) events |= kTimeout;
    w->callback_(w->arg_, events);
  }

  const std::shared_ptr<WatchRegistry> registry_;
  const int fd_;
  const Callback callback_;
  void* const arg_;
  event* ev_ = nullptr;
  short what_ = EV_PERSIST;
  std::chrono::nanoseconds timeout_{0};
  std::atomic<bool> activated_{false};  // activate() ran, the callback not yet
};

std::unique_ptr<LoopWatch> WatchRegistry::watch(
    const std::shared_ptr<WatchRegistry>& self, int fd, LoopWatch::Callback callback,
    void* arg) {
  auto w = std::make_unique<EventWatch>(self, fd, callback, arg);
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !w->create()) return nullptr;  // w goes after the lock
    watches_.insert(w.get());
  }
  return w;
}

void WatchRegistry::orphan_all() {
  std::unique_lock lock(mutex_);
  stopped_ = true;
  for (EventWatch* w : watches_) {
    event_free(w->ev_);  // the loop's thread has ended: nothing runs it
    w->ev_ = nullptr;
  }
  watches_.clear();
  idle_.wait(lock, [this] { return freeing_ == 0; });
}

}  // namespace fibd
