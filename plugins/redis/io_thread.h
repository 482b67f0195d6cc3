// The plugin's own I/O thread: one libevent event_base run by a std::jthread.
// Other threads never touch the base; they call wake(), which writes to an
// eventfd the loop watches, and the loop then runs `on_wake` on its thread.
// So libevent needs no locking (no evthread_use_pthreads, which would change
// process-wide state the daemon owns).
#pragma once

#include <atomic>
#include <functional>
#include <thread>

struct event;
struct event_base;

namespace fibd_redis {

class IoThread {
 public:
  // Creates the base and the wake-up event; throws std::runtime_error when
  // libevent or the eventfd cannot be set up. The thread starts in start().
  explicit IoThread(std::function<void()> on_wake);
  // Stops the loop if stop() was not called, and frees the base.
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Only the I/O thread (or anyone before start() / after stop()) uses it.
  event_base* base() const { return base_; }

  // Starts the thread (throws std::system_error when it cannot).
  void start();
  // Any thread: makes the loop run `on_wake` soon. Never blocks.
  void wake();
  // Any thread but the I/O thread: runs `on_wake` once more, then `last`, on
  // the I/O thread; the loop ends and the thread is joined before this
  // returns. Without a running thread `last` runs here. Idempotent.
  void stop(const std::function<void()>& last);

 private:
  static void on_wake_event(int fd, short what, void* self);

  std::function<void()> on_wake_;
  event_base* base_ = nullptr;
  event* wake_event_ = nullptr;
  int wake_fd_ = -1;
  const std::function<void()>* last_ = nullptr;  // set before stopping_
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::jthread thread_;
};

}  // namespace fibd_redis
