// The plugin's own event loop, for the calls that come without one of
// fibd's (the cache writer's sets, fibd-plugin-check's calls, del, clear,
// create()'s check): a libevent event_base offering the same watches as the
// host's, so the same Link code runs on it. Its thread (a std::jthread)
// starts with the first call that needs it; until then a synchronous
// command drives the loop on the calling thread, so an instance that is
// only ever called on fibd's loops starts no thread at all.
//
// Other threads never touch the base while the thread runs: they queue
// work and wake it through an eventfd. So libevent needs no locking (no
// evthread_use_pthreads, which would change process-wide state the daemon
// owns).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "command.h"
#include "watches.h"

struct event;
struct event_base;

namespace fibd_redis {

class OwnLoop final : public Watches {
 public:
  using Work = std::function<void()>;

  // Throws std::runtime_error when libevent or the eventfd cannot be set up.
  OwnLoop();
  // stop() if not done yet, then frees the base.
  ~OwnLoop();
  OwnLoop(const OwnLoop&) = delete;
  OwnLoop& operator=(const OwnLoop&) = delete;

  // Any thread: `work` runs on the loop's thread soon (started first if it
  // was not). false once stop() has begun: `work` is dropped, not run.
  bool post(Work work);
  // Any thread: runs `work` on the loop and returns once `result` is done
  // or `deadline` has passed. Without the thread, on this thread.
  void run(const Work& work, SyncResult& result, Clock::time_point deadline);
  // Any thread but the loop's: runs `last` on the loop (or here, without a
  // thread) after the work queued before, ends the loop and joins it.
  // Work posted later is dropped. Idempotent.
  void stop(const Work& last);

  // Watches, on the loop's thread (the loop argument is ignored).
  fibd_cache_watch* make(fibd_cache_loop* loop, int fd, fibd_cache_watch_fn fn,
                         void* arg) const override;
  bool set(fibd_cache_watch* w, uint32_t events, uint64_t timeout_ns) const override;
  bool activate(fibd_cache_watch* w) const override;
  void free(fibd_cache_watch* w) const override;

 private:
  void start_locked();  // under mu_
  void drain();         // loop thread: runs the queued work
  static void on_wake(int fd, short what, void* self);

  event_base* base_ = nullptr;
  event* wake_event_ = nullptr;
  int wake_fd_ = -1;
  std::mutex drive_mu_;  // held by a thread driving the base without the thread
  std::mutex mu_;
  std::vector<Work> queue_;  // under mu_
  bool started_ = false;     // under mu_
  bool stopping_ = false;    // under mu_
  bool finished_ = false;    // the loop's thread: stop()'s last work ran
  std::jthread thread_;
};

}  // namespace fibd_redis
