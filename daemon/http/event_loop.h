// One libevent event_base driven by its own thread, with a thread-safe way to
// run work on it (post). Everything a connection does happens on its loop.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/loop_watch.h"
#include "http/event_watch.h"
#include "http/libevent_ptr.h"

namespace fibd {

class EventLoop final : public WatchLoop {
 public:
  EventLoop();
  ~EventLoop();  // stops and joins
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const { return base_.get(); }

  void start();
  // Runs fn on the loop thread, soon. Safe from any thread; dropped once stopped.
  void post(std::function<void()> fn);
  // Breaks the loop and joins its thread. Must not be called on the loop thread.
  // Watches still alive go quiet.
  void stop();

  // WatchLoop: for plugins that do their I/O on the loop.
  std::unique_ptr<LoopWatch> watch(int fd, LoopWatch::Callback callback,
                                   void* arg) override;

 private:
  void drain();

  EventBasePtr base_;
  std::shared_ptr<WatchRegistry> watches_;
  EventPtr wakeup_;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;
  bool stopped_ = false;
  std::jthread thread_;
};

}  // namespace fibd
