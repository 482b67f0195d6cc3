// The settings a request runs with, published as one immutable snapshot so a
// reload swaps them all at once. Requests in flight keep the snapshot (and so
// the cache instance) they started with; the old cache is destroyed when the
// last of them lets go.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/config.h"
#include "plugin_host/cache.h"

namespace fibd {

struct Runtime {
  std::shared_ptr<Cache> cache;
  std::chrono::milliseconds ttl{0};
  Algorithm algorithm = Algorithm::Fast;
  std::uint64_t max_n = 0;  // effective (naive is capped)
  unsigned max_inflight = 1;
  std::chrono::milliseconds compute_timeout{0};
};

// Holds the current snapshot. Readers on hot paths keep a local copy and
// refresh it only when generation() moves, so a request costs one relaxed
// load instead of a shared reference-count bump.
class RuntimeHolder {
 public:
  explicit RuntimeHolder(std::shared_ptr<const Runtime> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const Runtime> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  void publish(std::shared_ptr<const Runtime> next) {
    {
      std::lock_guard lock(mutex_);
      current_.swap(next);
      generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    // `next` now holds the previous snapshot; it is released here, outside
    // the lock, so a cache destructor never runs under it.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Runtime> current_;
  std::atomic<std::uint64_t> generation_{0};
};

// A thread-local view of a RuntimeHolder: refresh() is a relaxed compare on
// the hot path. release() drops the reference so an old cache can drain.
class RuntimeView {
 public:
  explicit RuntimeView(const RuntimeHolder& holder) : holder_(holder) { refresh(); }
  const Runtime& refresh() {
    auto gen = holder_.generation();
    if (!snapshot_ || gen != seen_) {
      seen_ = gen;
      snapshot_ = holder_.get();
    }
    return *snapshot_;
  }
  const std::shared_ptr<const Runtime>& snapshot() const { return snapshot_; }
  void release() { snapshot_.reset(); }

 private:
  const RuntimeHolder& holder_;
  std::shared_ptr<const Runtime> snapshot_;
  std::uint64_t seen_ = 0;
};

}  // namespace fibd
