#include "io_thread.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace fibd_redis {

IoThread::IoThread(std::function<void()> on_wake) : on_wake_(std::move(on_wake)) {
  // A precise timer: on libevent's default coarse clock a command timer may
  // fire a few milliseconds before command_timeout has passed.
  if (event_config* cfg = event_config_new()) {
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    base_ = event_base_new_with_config(cfg);
    event_config_free(cfg);
  }
  if (base_ == nullptr)
    throw std::runtime_error("cannot create the I/O thread's event base");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    event_base_free(base_);
    throw std::runtime_error("cannot create the I/O thread's eventfd");
  }
  wake_event_ =
      event_new(base_, wake_fd_, EV_READ | EV_PERSIST, &IoThread::on_wake_event, this);
  if (wake_event_ == nullptr || event_add(wake_event_, nullptr) != 0) {
    if (wake_event_ != nullptr) event_free(wake_event_);
    ::close(wake_fd_);
    event_base_free(base_);
    throw std::runtime_error("cannot register the I/O thread's wake-up event");
  }
}

IoThread::~IoThread() {
  stop([] {});
  event_free(wake_event_);
  ::close(wake_fd_);
  event_base_free(base_);
}

void IoThread::start() {
  thread_ = std::jthread([this] {
    // hiredis writes with write(): a Redis that closed the connection must
    // not kill the host with SIGPIPE (thread-directed, so blocking it here
    // is enough; the write fails with EPIPE).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    // Named for top, perf and the journal's thread names (15 bytes at most).
    pthread_setname_np(pthread_self(), "fibd-redis-io");
    event_base_dispatch(base_);
  });
}

void IoThread::wake() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: a wake-up is pending anyway.
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void IoThread::stop(const std::function<void()>& last) {
  if (stopped_) return;
  stopped_ = true;
  if (!thread_.joinable()) {
    if (on_wake_) on_wake_();
    last();
    return;
  }
  last_ = &last;
  stopping_.store(true, std::memory_order_release);
  wake();
  thread_.join();
  last_ = nullptr;
}

void IoThread::on_wake_event(int fd, short, void* arg) {
  auto* self = static_cast<IoThread*>(arg);
  std::uint64_t count = 0;
  while (::read(fd, &count, sizeof count) < 0 && errno == EINTR) {
  }
  if (self->on_wake_) self->on_wake_();
  if (self->stopping_.load(std::memory_order_acquire)) {
    (*self->last_)();
    event_base_loopbreak(self->base_);
  }
}

}  // namespace fibd_redis
