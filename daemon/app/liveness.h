// What WATCHDOG=1 vouches for: not that the main thread runs, but that every
// event loop and the worker pool answer a liveness ping within one watchdog
// interval. A loop wedged by a plugin that claimed to be non-blocking, or a
// pool that takes no work, stops the pings, and systemd restarts fibd after
// WatchdogSec; the log names what stopped answering.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace fibd {

class FibService;
namespace http {
class Handler;
class Server;
}  // namespace http

class Liveness {
 public:
  Liveness(http::Server& server, unsigned loops, FibService& fib);
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;

  // On every watchdog tick (main thread): true when every party answered
  // the ping of the previous tick (send WATCHDOG=1 then); pings again those
  // that did. What stays silent is logged, by name and thread id.
  bool tick();

 private:
  struct LoopState {
    const http::Handler* loop = nullptr;  // identifies the loop (one handler each)
    int tid = 0;
    std::uint64_t answered = 0;
  };
  void loop_answered(const http::Handler* loop, std::uint64_t seq);

  http::Server& server_;
  const unsigned loop_count_;
  FibService& fib_;
  std::mutex mutex_;              // the states below: answers come from other threads
  std::vector<LoopState> loops_;  // in the order they first answered
  std::uint64_t loops_sent_ = 0;
  std::uint64_t pool_sent_ = 0;
  std::uint64_t pool_answered_ = 0;
  std::uint64_t seq_ = 0;
  std::chrono::steady_clock::time_point silent_since_{};
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace fibd
