#include "http/event_watch.h"

#include <event2/event.h>
#include <sys/time.h>

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
    if (ev_ == nullptr) return false;
    short what = EV_PERSIST;
    if (events & kRead) what |= EV_READ;
    if (events & kWrite) what |= EV_WRITE;
    const bool pending = events_ != 0 || timeout_.count() > 0;
    if (what != what_ || (pending && timeout.count() == 0 && timeout_.count() > 0)) {
      // A changed set of events (or a timeout taken away) needs a fresh add.
      if (pending) event_del(ev_);
      if (event_assign(ev_, registry_->base_, fd_, what, &EventWatch::fire, this) != 0)
        return false;
      what_ = what;
    }
    events_ = events & (kRead | kWrite);
    timeout_ = timeout;
    if (events_ == 0 && timeout.count() <= 0) return event_del(ev_) == 0;
    if (timeout.count() <= 0) return event_add(ev_, nullptr) == 0;
    const auto us = std::chrono::ceil<std::chrono::microseconds>(timeout).count();
    timeval tv{static_cast<time_t>(us / 1'000'000),
               static_cast<suseconds_t>(us % 1'000'000)};
    return event_add(ev_, &tv) == 0;  // on a pending event: the timeout only
  }

  bool activate() override {
    std::lock_guard lock(registry_->mutex_);
    if (registry_->stopped_) return false;
    event_active(ev_, 0, 0);
    return true;
  }

 private:
  friend class WatchRegistry;
  static void fire(evutil_socket_t, short what, void* self) {
    auto* w = static_cast<EventWatch*>(self);
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
  std::uint32_t events_ = 0;
  std::chrono::nanoseconds timeout_{0};
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
