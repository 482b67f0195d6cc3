// A circuit breaker in front of Redis: after `threshold` consecutive failures
// it opens, and calls fail at once without touching the network. After a
// backoff it lets exactly one call through (half-open); that probe's success
// closes the breaker, its failure reopens it with the backoff doubled, up to
// a cap. Thread-safe; an observer hears of every change of state.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace fibd_redis {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Params {
    int threshold = 3;                               // consecutive failures
    std::chrono::milliseconds initial_backoff{100};  // first open period
    std::chrono::milliseconds max_backoff{1000};     // backoff cap
    // A probe that never reported back (it cannot happen, but a stuck breaker
    // would disable the cache for good) is given up after this long.
    std::chrono::milliseconds probe_timeout{5000};
  };

  enum class State : int { Closed = 0, Open = 1, HalfOpen = 2 };

  // What a state change means to the caller (for logging).
  enum class Transition { None, Opened, Reopened, Closed };

  struct Decision {
    bool allowed;
    bool probe;                          // this call is the half-open probe
    std::chrono::milliseconds retry_in;  // when refused: time left open
  };

  // The state now, and whether that change opened a closed breaker. Called
  // with the breaker's lock held, so in the order of the changes: it must
  // not call the breaker.
  using Observer = std::function<void(State now, bool opened)>;

  CircuitBreaker() : CircuitBreaker(Params{}) {}
  explicit CircuitBreaker(Params p, Observer observer = {});

  Decision allow(Clock::time_point now = Clock::now());
  // Every allowed call reports exactly one outcome.
  Transition on_success();
  Transition on_failure(Clock::time_point now = Clock::now());
  // Opens right away (Redis known to be unreachable, e.g. at create(), or a
  // call that timed out). From half-open it reopens with the backoff doubled.
  Transition trip(Clock::time_point now = Clock::now());

  State state() const { return state_.load(std::memory_order_relaxed); }
  uint64_t opens() const { return opens_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  const Params& params() const { return p_; }
  // The backoff the breaker is (or would next be) open for.
  std::chrono::milliseconds current_backoff() const;

 private:
  Transition open_locked(Clock::time_point now);
  void change_locked(State now, bool opened = false);

  const Params p_;
  const Observer observer_;
  mutable std::mutex mu_;
  std::atomic<State> state_{State::Closed};  // written under mu_
  std::atomic<int> failures_{0};             // consecutive; written under mu_
  std::chrono::milliseconds backoff_;        // under mu_
  Clock::time_point open_until_{};           // under mu_
  Clock::time_point probe_started_{};        // under mu_
  std::atomic<uint64_t> opens_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace fibd_redis
