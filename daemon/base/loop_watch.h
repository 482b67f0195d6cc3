// Watches on an event loop (a file descriptor, a timeout, a wake-up), for
// code that must not depend on the library that runs the loop: plugins reach
// them through the plugin ABI's loop services. http's EventLoop implements
// them with libevent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace fibd {

class LoopWatch {
 public:
  static constexpr std::uint32_t kRead = 1;
  static constexpr std::uint32_t kWrite = 2;
  static constexpr std::uint32_t kTimeout = 4;
  // Runs on the loop's thread, never concurrently with itself. `events` is
  // what happened: kRead/kWrite/kTimeout, or 0 (or merged with the others)
  // after activate().
  using Callback = void (*)(void* arg, std::uint32_t events);

  // Any thread. When it returns the callback is not running and never runs
  // again (it may wait for a run in progress on the loop to end).
  virtual ~LoopWatch() = default;
  // The loop's thread only. Waits for `events` (kRead|kWrite) from now on;
  // a timeout above zero also reports kTimeout after that long without one
  // of them. No events and no timeout: idle. false when the loop refused.
  virtual bool set(std::uint32_t events, std::chrono::nanoseconds timeout) = 0;
  // Any thread: the callback runs on the loop soon, after what the loop is
  // doing now. Activations before that run give one run. false once the
  // loop has stopped.
  virtual bool activate() = 0;
};

class WatchLoop {
 public:
  // The loop's thread only. `fd` may be -1 (a timer). nullptr on failure.
  // The watch starts idle and may outlive the loop: once the loop has
  // stopped its callback never runs.
  virtual std::unique_ptr<LoopWatch> watch(int fd, LoopWatch::Callback callback,
                                           void* arg) = 0;

  // The loop whose thread this is, or nullptr on any other thread.
  static WatchLoop* current() noexcept;

 protected:
  WatchLoop() = default;
  ~WatchLoop() = default;
  // Called by the loop's thread when it starts (this) and ends (nullptr).
  static void set_current(WatchLoop* loop) noexcept;
};

}  // namespace fibd
