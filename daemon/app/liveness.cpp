#include "app/liveness.h"

#include <unistd.h>

#include "base/log.h"
#include "compute/fib_service.h"
#include "http/server.h"

namespace fibd {

Liveness::Liveness(http::Server& server, unsigned loops, FibService& fib)
    : server_(server), loop_count_(loops), fib_(fib) {}

void Liveness::loop_answered(const http::Handler* loop, std::uint64_t seq) {
  const int tid = static_cast<int>(::gettid());
  std::lock_guard lock(mutex_);
  for (auto& state : loops_) {
    if (state.loop == loop) {
      state.answered = seq;
      return;
    }
  }
  loops_.push_back({loop, tid, seq});
}

bool Liveness::tick() {
  std::vector<std::string> silent;
  bool loops_answered = true;
  {
    std::lock_guard lock(mutex_);
    if (loops_sent_ != 0) {
      for (std::size_t i = 0; i < loops_.size(); ++i) {
        if (loops_[i].answered != loops_sent_) {
          loops_answered = false;
          silent.push_back("event loop " + std::to_string(i + 1) + " of " +
                           std::to_string(loop_count_) + " (thread fibd-loop, tid " +
                           std::to_string(loops_[i].tid) + ")");
        }
      }
      if (loops_.size() < loop_count_) {
        loops_answered = false;
        silent.push_back(std::to_string(loop_count_ - loops_.size()) +
                         " event loop(s) (threads fibd-loop) that never answered");
      }
    }
    if (pool_answered_ != pool_sent_) {
      silent.push_back("the worker pool (threads fibd-worker: none took work)");
    }
  }

  const auto now = std::chrono::steady_clock::now();
  if (!silent.empty()) {
    if (silent_since_ == std::chrono::steady_clock::time_point{}) silent_since_ = now;
    if (now - last_report_ >= std::chrono::seconds(10)) {
      last_report_ = now;
      std::string who;
      for (const auto& s : silent) who += (who.empty() ? "" : ", ") + s;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - silent_since_);
      spdlog::critical(
          "watchdog: withholding WATCHDOG=1: {} stopped answering liveness pings ({} ms "
          "without an answer); systemd restarts fibd after WatchdogSec",
          who, ms.count());
    }
  } else if (silent_since_ != std::chrono::steady_clock::time_point{}) {
    spdlog::warn("watchdog: every event loop and the worker pool answer again");
    silent_since_ = {};
    last_report_ = {};
  }

  // Ping again only what answered: a wedged party keeps one ping pending,
  // never a growing pile of them.
  if (loops_answered) {
    const std::uint64_t seq = ++seq_;
    {
      std::lock_guard lock(mutex_);
      loops_sent_ = seq;
    }
    server_.for_each_handler(
        [this, seq](http::Handler& handler) { loop_answered(&handler, seq); });
  }
  bool ping_pool = false;
  std::uint64_t pool_seq = 0;
  {
    std::lock_guard lock(mutex_);
    if (pool_answered_ == pool_sent_) {
      pool_seq = pool_sent_ = ++seq_;
      ping_pool = true;
    }
  }
  if (ping_pool) {
    fib_.ping([this, pool_seq] {
      std::lock_guard lock(mutex_);
      pool_answered_ = pool_seq;
    });
  }
  return silent.empty();
}

}  // namespace fibd
