// The circuit breakers of one plugin instance (circuit_breaker.h): one for
// the target (a single node, or the master the sentinels name), and in
// cluster mode one per node. A node that times out is then skipped on its
// own while the other masters keep serving, and its half-open probe goes to
// it, not to a healthy node whose answer would close the breaker while the
// failing one still fails. A node's breaker is made on first use and kept
// as long as the instance: a cluster names few addresses.
//
// Any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "circuit_breaker.h"
#include "options.h"

namespace fibd_redis {

struct Breaker {
  Breaker(std::optional<Address> n, CircuitBreaker::Params p,
          CircuitBreaker::Observer observer)
      : node(std::move(n)), breaker(p, std::move(observer)) {}

  const std::optional<Address> node;  // nullopt: the target's
  CircuitBreaker breaker;
  std::atomic<int64_t> outage_started_ns{0};  // steady clock, 0 = none
};

class Breakers {
 public:
  // `observer` hears of every change of any breaker, with the worst state
  // over all of them now (Open before HalfOpen before Closed) and whether
  // that change opened a closed breaker.
  Breakers(CircuitBreaker::Params p, CircuitBreaker::Observer observer);

  // `node`'s breaker (cluster mode), or the target's for nullopt (no lock).
  Breaker& of(const std::optional<Address>& node);

  CircuitBreaker::State worst() const;
  size_t not_closed() const;
  uint64_t opens() const;
  uint64_t rejected() const;
  std::chrono::milliseconds longest_backoff() const;

 private:
  void changed(bool opened);  // a breaker changed state
  template <class F>
  void each(F f) const;

  const CircuitBreaker::Params params_;
  const CircuitBreaker::Observer observer_;
  Breaker target_;
  std::mutex observer_mu_;  // after a breaker's lock, before mu_
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Breaker>> nodes_;  // by address; under mu_
};

}  // namespace fibd_redis
