// redis.so's series in fibd's /metrics, through the host's metric services
// (fibd_plugin_counter_total and fibd_plugin_gauge, label name="..."): what
// the operator of a fleet watches. Only rare events are pushed, as they
// happen (a connection made, refused or lost, the breaker changing state, a
// redirection, a slot map learnt, an error); a hit pushes nothing. stats()
// reads the same numbers. A host without the services (struct_size ending
// before them, or NULL functions) is simply told nothing.
//
// Any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <fibd/cache_plugin.hpp>
#include <mutex>

namespace fibd_redis {

class HostMetrics {
 public:
  explicit HostMetrics(const fibd_cache_host* host) : host_(host) {}

  // `name`: [a-z0-9_], at most 64 bytes (the host drops others).
  void add(const char* name, uint64_t delta = 1) const { host_.counter_add(name, delta); }
  void set(const char* name, int64_t value) const { host_.gauge_set(name, value); }

 private:
  fibd::plugin::Host host_;
};

// A count of rare events, for stats() and /metrics (there from the start,
// at 0, so that rate() sees the first one).
class EventCount {
 public:
  EventCount(const HostMetrics& metrics, const char* name)
      : metrics_(metrics), name_(name) {
    metrics_.add(name_, 0);
  }
  void add() {
    n_.fetch_add(1, std::memory_order_relaxed);
    metrics_.add(name_);
  }
  uint64_t load() const { return n_.load(std::memory_order_relaxed); }

 private:
  const HostMetrics& metrics_;
  const char* const name_;
  std::atomic<uint64_t> n_{0};
};

// A level that rare events change (connections up), for stats() and
// /metrics. Changed and pushed under one lock: threads that change it at
// once cannot leave /metrics with the older value.
class EventLevel {
 public:
  EventLevel(const HostMetrics& metrics, const char* name)
      : metrics_(metrics), name_(name) {
    metrics_.set(name_, 0);
  }
  void add(int64_t delta) {
    std::lock_guard lock(mu_);
    const int64_t now = v_.load(std::memory_order_relaxed) + delta;
    v_.store(now, std::memory_order_relaxed);
    metrics_.set(name_, now);
  }
  int64_t load() const { return v_.load(std::memory_order_relaxed); }

 private:
  const HostMetrics& metrics_;
  const char* const name_;
  std::mutex mu_;
  std::atomic<int64_t> v_{0};
};

}  // namespace fibd_redis
