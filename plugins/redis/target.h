// The node that data commands go to: the `address` option, or the master
// the sentinels name (sentinel.h), which changes at a failover. Links
// compare its generation, a cheap read, before every command and follow a
// change.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "command.h"

namespace fibd_redis {

class Target {
 public:
  // `to` with no address yet (sentinel mode): known() is false until set().
  Target(Endpoint to, bool known) : to_(std::move(to)), known_(known) {}

  bool known() const { return known_.load(std::memory_order_acquire); }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The endpoint now, and its generation.
  Endpoint endpoint(uint64_t& generation) const {
    std::lock_guard lock(mu_);
    generation = generation_.load(std::memory_order_relaxed);
    return to_;
  }
  // True when that is a change.
  bool set(const Address& address) {
    std::lock_guard lock(mu_);
    if (known_.load(std::memory_order_relaxed) &&
        address.to_string() == to_.address.to_string())
      return false;
    to_.address = address;
    known_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return true;
  }

 private:
  mutable std::mutex mu_;
  Endpoint to_;
  std::atomic<bool> known_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace fibd_redis
