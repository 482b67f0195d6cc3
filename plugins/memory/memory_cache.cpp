// memory.so: a sharded, thread-safe, size-bounded LRU cache in the daemon's
// own memory.
//
// Options (cache.options):
//   max_bytes  total budget, "67108864" or "64MiB" (KiB/MiB/GiB); default 64MiB
//   shards     number of independently locked shards, 1..1024; default 16
//
// Each shard owns max_bytes / shards and an LRU list; an entry costs its key,
// its value and a fixed overhead for the bookkeeping. Expired entries are
// never returned: a get() that finds one frees it and answers EXPIRED, and
// every set() also frees expired entries it finds at the cold end of the LRU.
// Locks are held only for list and map updates and for copying a value out:
// values are copied into their node before the lock is taken.
#include <chrono>
#include <cstdint>
#include <fibd/cache_plugin.hpp>
#include <fibd/grammar.hpp>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fibd_memory {

using fibd::plugin::Config;
using fibd::plugin::Error;
using fibd::plugin::Host;
using fibd::plugin::Lookup;
using fibd::plugin::Stats;
using fibd::plugin::Value;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t{64} << 20;
constexpr std::uint64_t kDefaultShards = 16;
constexpr std::uint64_t kMaxShards = 1024;
constexpr std::uint64_t kMinShardBytes = 1024;
// Bookkeeping per entry: list node, map node and bucket, string headers.
constexpr std::uint64_t kEntryOverhead = 128;
// Expired entries a set() may free from the cold end of its shard.
constexpr int kSweepPerSet = 4;

struct Entry {
  std::string key;
  std::string value;
  Clock::time_point expires;  // Clock::time_point::max(): never
  std::uint64_t cost = 0;
};

struct Shard {
  std::mutex mu;
  std::list<Entry> lru;  // front: most recently used
  // Keys are views into the list nodes, which never move.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  std::uint64_t bytes = 0;
  std::uint64_t evictions = 0;
  std::uint64_t expired = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;

  // Caller holds mu.
  void erase(std::list<Entry>::iterator it) {
    bytes -= it->cost;
    index.erase(std::string_view(it->key));
    lru.erase(it);
  }
};

class MemoryCache {
 public:
  MemoryCache(const Host& host, const Config& config) : host_(host) {
    config.reject_unknown({"max_bytes", "shards"});
    std::uint64_t max_bytes = kDefaultMaxBytes;
    if (auto text = config.option("max_bytes")) {
      std::uint64_t parsed = 0;
      std::string why;
      if (!fibd::grammar::parse_size(*text, &parsed, &why) || parsed == 0) {
        throw Error("option max_bytes: '" + std::string(*text) +
                    "' is not a positive size (bytes, or a number with KiB, MiB or GiB)");
      }
      max_bytes = parsed;
    }
    std::uint64_t shards = kDefaultShards;
    if (auto text = config.option("shards")) {
      std::uint64_t parsed = 0;
      std::string why;
      if (!fibd::grammar::parse_count(*text, &parsed, &why) || parsed == 0 ||
          parsed > kMaxShards) {
        throw Error("option shards: '" + std::string(*text) +
                    "' is not a whole number from 1 to " + std::to_string(kMaxShards));
      }
      shards = parsed;
    }
    if (max_bytes / shards < kMinShardBytes) {
      throw Error("option max_bytes: " + std::to_string(max_bytes) +
                  " bytes is too small for " + std::to_string(shards) +
                  " shards (each needs at least " + std::to_string(kMinShardBytes) +
                  " bytes)");
    }
    max_bytes_ = max_bytes;
    shard_budget_ = max_bytes / shards;
    shards_ = std::vector<Shard>(static_cast<std::size_t>(shards));
    host_.info("loaded (max_bytes=" + std::to_string(max_bytes_) +
               ", shards=" + std::to_string(shards) + ")");
  }

  ~MemoryCache() {
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;
    for (auto& s : shards_) {
      entries += s.lru.size();
      bytes += s.bytes;
    }
    shards_.clear();
    host_.info("unloaded (freed " + std::to_string(entries) + " entries, " +
               std::to_string(bytes) + " bytes)");
  }

  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  Lookup get(std::string_view key, Value& out) {
    Shard& s = shard_for(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto found = s.index.find(key);
    if (found == s.index.end()) {
      ++s.misses;
      return Lookup::not_found;
    }
    auto it = found->second;
    if (it->expires <= Clock::now()) {
      s.erase(it);
      ++s.expired;
      ++s.misses;
      return Lookup::expired;
    }
    s.lru.splice(s.lru.begin(), s.lru, it);
    out.put(it->value);
    ++s.hits;
    return Lookup::hit;
  }

  void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    std::uint64_t cost = key.size() + value.size() + kEntryOverhead;
    if (cost > shard_budget_) {
      throw Error("an entry of " + std::to_string(cost) +
                  " bytes does not fit: each of the " + std::to_string(shards_.size()) +
                  " shards holds " + std::to_string(shard_budget_) +
                  " bytes (raise max_bytes)");
    }
    // Build the node (and copy the bytes) before taking the lock.
    std::list<Entry> node;
    node.push_back(Entry{std::string(key), std::string(value), expiry(ttl), cost});

    Shard& s = shard_for(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto found = s.index.find(key);
    if (found != s.index.end()) s.erase(found->second);
    s.lru.splice(s.lru.begin(), node);
    auto it = s.lru.begin();
    s.index.emplace(std::string_view(it->key), it);
    s.bytes += cost;

    auto now = Clock::now();
    for (int i = 0; i < kSweepPerSet && s.lru.size() > 1; ++i) {
      auto cold = std::prev(s.lru.end());
      if (cold->expires > now) break;
      s.erase(cold);
      ++s.expired;
    }
    while (s.bytes > shard_budget_) {
      s.erase(std::prev(s.lru.end()));
      ++s.evictions;
    }
  }

  bool del(std::string_view key) {
    Shard& s = shard_for(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto found = s.index.find(key);
    if (found == s.index.end()) return false;
    s.erase(found->second);
    return true;
  }

  void clear() {
    for (auto& s : shards_) {
      std::list<Entry> doomed;  // freed after the lock is released
      {
        std::lock_guard<std::mutex> lock(s.mu);
        s.index.clear();
        doomed.swap(s.lru);
        s.bytes = 0;
      }
    }
  }

  void stats(Stats& out) {
    std::uint64_t entries = 0, bytes = 0, evictions = 0, expired = 0, hits = 0,
                  misses = 0;
    for (auto& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      entries += s.lru.size();
      bytes += s.bytes;
      evictions += s.evictions;
      expired += s.expired;
      hits += s.hits;
      misses += s.misses;
    }
    out.put("entries", entries);
    out.put("bytes", bytes);
    out.put("max_bytes", max_bytes_);
    out.put("evictions", evictions);
    out.put("expired", expired);
    out.put("hits", hits);
    out.put("misses", misses);
  }

 private:
  static Clock::time_point expiry(std::chrono::milliseconds ttl) {
    if (ttl.count() <= 0) return Clock::time_point::max();
    auto now = Clock::now();
    if (ttl > std::chrono::duration_cast<std::chrono::milliseconds>(
                  Clock::time_point::max() - now)) {
      return Clock::time_point::max();
    }
    return now + ttl;
  }

  Shard& shard_for(std::string_view key) {
    // Mix the hash so shard choice and bucket choice are independent.
    std::uint64_t h = std::hash<std::string_view>()(key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return shards_[static_cast<std::size_t>(h % shards_.size())];
  }

  Host host_;
  std::uint64_t max_bytes_ = 0;
  std::uint64_t shard_budget_ = 0;
  std::vector<Shard> shards_;
};

}  // namespace fibd_memory

FIBD_CACHE_PLUGIN(fibd_memory::MemoryCache, "memory", FIBD_MEMORY_VERSION,
                  "In-process sharded LRU cache bounded by max_bytes",
                  FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING)
