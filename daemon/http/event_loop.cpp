#include "http/event_loop.h"

#include <event2/thread.h>
#include <pthread.h>

#include <stdexcept>

#include "base/escape.h"
#include "base/log.h"

namespace fibd {

namespace {

// libevent's own warnings (a failing accept(), a broken socket) go to the
// daemon's log, with levels, instead of raw lines on stderr. Some may quote
// what a peer sent, so they are cut and escaped.
void libevent_log(int severity, const char* message) {
  auto logger = spdlog::default_logger();
  if (!logger) return;
  spdlog::level::level_enum level = spdlog::level::debug;
  switch (severity) {
    case EVENT_LOG_DEBUG:
      level = spdlog::level::debug;
      break;
    case EVENT_LOG_MSG:
      level = spdlog::level::info;
      break;
    case EVENT_LOG_WARN:
      level = spdlog::level::warn;
      break;
    default:
      level = spdlog::level::err;
      break;
  }
  logger->log(level, "libevent: {}", escape_untrusted(message, 512));
}

// libevent must be told to lock before any base is created, so event_active()
// from worker threads is safe.
void init_libevent() {
  static std::once_flag once;
  std::call_once(once, [] {
    event_set_log_callback(&libevent_log);
    if (evthread_use_pthreads() != 0)
      throw std::runtime_error("evthread_use_pthreads failed");
  });
}

}  // namespace

EventLoop::EventLoop() {
  init_libevent();
  // No EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: it defers epoll_ctl(DEL) past
  // the close() of a connection's fd, by which time another loop thread may
  // have accepted a new connection with the same number (TSan reports it).
  base_.reset(event_base_new());
  if (!base_) throw std::runtime_error("event_base_new failed");
  watches_ = std::make_shared<WatchRegistry>(base_.get());
  wakeup_.reset(event_new(
      base_.get(), -1, EV_PERSIST,
      [](evutil_socket_t, short, void* self) { static_cast<EventLoop*>(self)->drain(); },
      this));
  if (!wakeup_) throw std::runtime_error("event_new failed");
  event_add(wakeup_.get(), nullptr);  // keeps the loop alive while idle
}

EventLoop::~EventLoop() {
  stop();
  watches_->orphan_all();  // before the base goes
}

void EventLoop::start() {
  thread_ = std::jthread([this] {
    pthread_setname_np(pthread_self(), "fibd-loop");
    set_current(this);
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
    drain();  // run what was posted before the break (replies, cleanups)
    set_current(nullptr);
  });
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    posted_.push_back(std::move(fn));
    if (posted_.size() > 1) return;  // a wake-up is already pending
  }
  event_active(wakeup_.get(), EV_READ, 0);
}

void EventLoop::drain() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::stop() {
  if (!thread_.joinable()) return;
  event_base_loopbreak(base_.get());
  thread_.join();
  watches_->orphan_all();
  std::lock_guard lock(mutex_);
  stopped_ = true;
  posted_.clear();
}

std::unique_ptr<LoopWatch> EventLoop::watch(int fd, LoopWatch::Callback callback,
                                            void* arg) {
  return watches_->watch(watches_, fd, callback, arg);
}

}  // namespace fibd
