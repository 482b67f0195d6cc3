#include "plugin_host/near_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fibd {
namespace {

using Clock = std::chrono::steady_clock;

// Bookkeeping per entry: list node, map node, string headers, shared value.
constexpr std::uint64_t kEntryOverhead = 160;
constexpr std::size_t kShards = 16;

struct Entry {
  std::string key;
  std::shared_ptr<const std::string> value;  // copied out of the lock
  Clock::time_point expires;
  std::uint64_t cost = 0;
};

// One independently locked LRU of max_bytes / kShards.
class Shard {
 public:
  void set_budget(std::uint64_t bytes) { budget_ = bytes; }

  std::shared_ptr<const std::string> find(std::string_view key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (it->second->expires <= now) {
      erase(it->second);
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->value;
  }

  void store(std::string_view key, std::shared_ptr<const std::string> value,
             Clock::time_point expires) {
    std::uint64_t cost = key.size() + value->size() + kEntryOverhead;
    if (cost > budget_) return;  // larger than the whole shard: not kept
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) erase(it->second);
    while (bytes_ + cost > budget_ && !lru_.empty()) erase(std::prev(lru_.end()));
    lru_.push_front(Entry{std::string(key), std::move(value), expires, cost});
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
    bytes_ += cost;
  }

  std::uint64_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  void erase(std::list<Entry>::iterator it) {
    bytes_ -= it->cost;
    index_.erase(std::string_view(it->key));
    lru_.erase(it);
  }

  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front: most recently used
  // Keys are views into the list nodes, which never move.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  std::uint64_t bytes_ = 0;
  std::uint64_t budget_ = 0;
};

class NearCache final : public Cache {
 public:
  NearCache(std::shared_ptr<Cache> remote, std::uint64_t max_bytes,
            std::chrono::milliseconds max_ttl)
      : remote_(std::move(remote)), max_bytes_(max_bytes), max_ttl_(max_ttl) {
    for (Shard& s : shards_)
      s.set_budget(std::max<std::uint64_t>(1, max_bytes / kShards));
  }

  const std::string& name() const override { return remote_->name(); }
  const std::string& version() const override { return remote_->version(); }
  const std::string& path() const override { return remote_->path(); }
  bool non_blocking() const override { return remote_->non_blocking(); }
  std::vector<PluginMetric> plugin_metrics() const override {
    return remote_->plugin_metrics();
  }

  bool get_near(std::string_view key, std::string& value) override {
    auto near = shard(key).find(key, Clock::now());
    if (!near) return false;
    hits_.fetch_add(1, std::memory_order_relaxed);
    value.assign(*near);
    return true;
  }

  CacheOutcome get(std::string_view key, std::string& value,
                   std::string& error) override {
    if (get_near(key, value)) return CacheOutcome::Hit;
    misses_.fetch_add(1, std::memory_order_relaxed);
    CacheOutcome outcome = remote_->get(key, value, error);
    if (outcome == CacheOutcome::Hit) keep(key, value, max_ttl_);
    return outcome;
  }

  bool async() const override { return remote_->async(); }
  // The caller keeps this cache alive until `done` has run (the request
  // holds its runtime snapshot), so the completion may keep the value here.
  std::shared_ptr<CacheLookupHandle> get_async(
      std::string_view key, std::chrono::steady_clock::time_point deadline,
      CacheLookupDone done) override {
    CacheLookup near;
    if (get_near(key, near.value)) {
      near.outcome = CacheOutcome::Hit;
      done(std::move(near));
      return nullptr;
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    return remote_->get_async(
        key, deadline,
        [this, key = std::string(key), done = std::move(done)](CacheLookup r) {
          if (r.outcome == CacheOutcome::Hit) keep(key, r.value, max_ttl_);
          done(std::move(r));
        });
  }

  bool set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
           std::string& error) override {
    bool ok = remote_->set(key, value, ttl, error);
    // Kept near even when the remote write failed: the value is F(n) anyway.
    keep(key, value, ttl);
    return ok;
  }

  std::optional<NearCacheStats> near_stats() const override {
    NearCacheStats s;
    s.hits = hits_.load(std::memory_order_relaxed);
    s.misses = misses_.load(std::memory_order_relaxed);
    s.max_bytes = max_bytes_;
    for (const Shard& sh : shards_) s.bytes += sh.bytes();
    return s;
  }

 private:
  Shard& shard(std::string_view key) {
    return shards_[std::hash<std::string_view>()(key) % kShards];
  }

  void keep(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    // Never longer than cache.expiration; 0 on both sides means no expiry.
    auto lifetime = ttl;
    if (max_ttl_.count() > 0 && (lifetime.count() <= 0 || lifetime > max_ttl_)) {
      lifetime = max_ttl_;
    }
    const auto expires =
        lifetime.count() <= 0 ? Clock::time_point::max() : Clock::now() + lifetime;
    try {
      shard(key).store(key, std::make_shared<const std::string>(value), expires);
    } catch (const std::bad_alloc&) {
      // The near tier is an optimisation: without memory it keeps nothing.
    }
  }

  std::shared_ptr<Cache> remote_;
  const std::uint64_t max_bytes_;
  const std::chrono::milliseconds max_ttl_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace

std::shared_ptr<Cache> make_near_cache(std::shared_ptr<Cache> remote,
                                       std::uint64_t max_bytes,
                                       std::chrono::milliseconds max_ttl) {
  return std::make_shared<NearCache>(std::move(remote), max_bytes, max_ttl);
}

}  // namespace fibd
