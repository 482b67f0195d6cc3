#include "own_loop.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace fibd_redis {

namespace {

// One watch: the socket's (or a pure timer's) event, and the event an
// activation runs through, so that changing what the first waits for never
// loses an activation.
struct OwnWatch {
  event* io = nullptr;
  event* kick = nullptr;
  int fd;
  fibd_cache_watch_fn fn;
  void* arg;
  short flags = 0;
};

OwnWatch* own(fibd_cache_watch* w) { return reinterpret_cast<OwnWatch*>(w); }

void on_io(int, short what, void* arg) {
  auto* w = static_cast<OwnWatch*>(arg);
  w->fn(w->arg, ((what & EV_READ) ? FIBD_CACHE_WATCH_READ : 0u) |
                    ((what & EV_WRITE) ? FIBD_CACHE_WATCH_WRITE : 0u) |
                    ((what & EV_TIMEOUT) ? FIBD_CACHE_WATCH_TIMEOUT : 0u));
}

void on_kick(int, short, void* arg) {
  auto* w = static_cast<OwnWatch*>(arg);
  w->fn(w->arg, 0);
}

// hiredis writes with write(): a Redis that closed the connection must not
// kill the host with SIGPIPE. SIGPIPE is thread-directed, so blocking it on
// the thread that writes is enough (the write fails with EPIPE); one raised
// while blocked is taken back before the old mask returns.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    was_pending_ = pending();
  }
  ~SigpipeBlocked() {
    if (!was_pending_ && pending()) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  static bool pending() {
    sigset_t set;
    sigpending(&set);
    return sigismember(&set, SIGPIPE) == 1;
  }
  sigset_t pipe_{}, old_{};
  bool was_pending_ = false;
};

}  // namespace

OwnLoop::OwnLoop() {
  // A precise timer: on libevent's default coarse clock a timeout may fire
  // a few milliseconds early.
  if (event_config* cfg = event_config_new()) {
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    base_ = event_base_new_with_config(cfg);
    event_config_free(cfg);
  }
  if (base_ == nullptr) throw std::runtime_error("cannot create the plugin's event base");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ >= 0)
    wake_event_ =
        event_new(base_, wake_fd_, EV_READ | EV_PERSIST, &OwnLoop::on_wake, this);
  if (wake_event_ == nullptr || event_add(wake_event_, nullptr) != 0) {
    if (wake_event_ != nullptr) event_free(wake_event_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    event_base_free(base_);
    throw std::runtime_error("cannot set up the plugin's event loop");
  }
}

OwnLoop::~OwnLoop() {
  stop([] {});
  event_free(wake_event_);
  ::close(wake_fd_);
  event_base_free(base_);
}

void OwnLoop::start_locked() {
  started_ = true;
  thread_ = std::jthread([this] {
    SigpipeBlocked no_sigpipe;
    // Named for top, perf and the journal's thread names (15 bytes at most).
    pthread_setname_np(pthread_self(), "fibd-redis-io");
    // The queued work runs at the wake-up every post() sends; stop()'s last
    // work ends the loop, whenever the thread gets to it.
    while (!finished_) event_base_loop(base_, EVLOOP_ONCE);
  });
}

bool OwnLoop::post(Work work) {
  bool started = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(work));
    started = started_;
  }
  if (!started) {
    // Not while a caller drives the base on its own thread.
    std::lock_guard drive(drive_mu_);
    std::lock_guard lock(mu_);
    if (!started_ && !stopping_) start_locked();
  }
  const std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: a wake-up is pending anyway.
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  return true;
}

void OwnLoop::run(const Work& work, SyncResult& result, Clock::time_point deadline) {
  {
    std::lock_guard drive(drive_mu_);
    bool started = false;
    {
      std::lock_guard lock(mu_);
      started = started_ || stopping_;
    }
    if (!started) {
      SigpipeBlocked no_sigpipe;
      work();
      // The link's own timeouts end the command before long; the deadline
      // is a second bound.
      while (!result.done() && Clock::now() < deadline)
        event_base_loop(base_, EVLOOP_ONCE);
      return;
    }
  }
  if (!post(work)) {
    result.finish(nullptr,
                  {ErrorKind::Closed, "the redis plugin instance is being destroyed"});
    return;
  }
  result.wait_until(deadline);
}

void OwnLoop::stop(const Work& last) {
  bool started = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    started = started_;
    if (started)
      queue_.push_back([this, &last] {
        last();
        finished_ = true;
      });
  }
  if (!started) {
    drain();
    last();
    return;
  }
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void OwnLoop::drain() {
  std::vector<Work> work;
  {
    std::lock_guard lock(mu_);
    work.swap(queue_);
  }
  for (auto& w : work) w();
}

void OwnLoop::on_wake(int fd, short, void* arg) {
  std::uint64_t count = 0;
  while (::read(fd, &count, sizeof count) < 0 && errno == EINTR) {
  }
  static_cast<OwnLoop*>(arg)->drain();
}

fibd_cache_watch* OwnLoop::make(fibd_cache_loop*, int fd, fibd_cache_watch_fn fn,
                                void* arg) const {
  auto w = std::make_unique<OwnWatch>(OwnWatch{nullptr, nullptr, fd, fn, arg});
  w->io = event_new(base_, fd, EV_PERSIST, &on_io, w.get());
  w->kick = event_new(base_, -1, 0, &on_kick, w.get());
  if (w->io == nullptr || w->kick == nullptr) {
    if (w->io != nullptr) event_free(w->io);
    if (w->kick != nullptr) event_free(w->kick);
    return nullptr;
  }
  w->flags = EV_PERSIST;
  return reinterpret_cast<fibd_cache_watch*>(w.release());
}

bool OwnLoop::set(fibd_cache_watch* watch, uint32_t events, uint64_t timeout_ns) const {
  OwnWatch* w = own(watch);
  const short flags =
      static_cast<short>(EV_PERSIST | ((events & FIBD_CACHE_WATCH_READ) ? EV_READ : 0) |
                         ((events & FIBD_CACHE_WATCH_WRITE) ? EV_WRITE : 0));
  event_del(w->io);
  if (flags != w->flags) {
    event_assign(w->io, base_, w->fd, flags, &on_io, w);
    w->flags = flags;
  }
  if (events == 0 && timeout_ns == 0) return true;
  timeval tv{static_cast<time_t>(timeout_ns / 1'000'000'000),
             static_cast<suseconds_t>((timeout_ns % 1'000'000'000 + 999) / 1000)};
  return event_add(w->io, timeout_ns > 0 ? &tv : nullptr) == 0;
}

bool OwnLoop::activate(fibd_cache_watch* watch) const {
  event_active(own(watch)->kick, 0, 1);
  return true;
}

void OwnLoop::free(fibd_cache_watch* watch) const {
  std::unique_ptr<OwnWatch> w(own(watch));
  event_free(w->io);
  event_free(w->kick);
}

}  // namespace fibd_redis
