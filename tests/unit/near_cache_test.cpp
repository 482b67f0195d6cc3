// fibd-test-label: threaded
// The near cache tier in front of a remote Cache: hits answered near and
// counted apart, misses passed on, bounded bytes, TTL never past
// cache.expiration, and everything else the remote tier's.
#include "plugin_host/near_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace fibd {
namespace {

// A remote tier that counts what reaches it.
class CountingRemote final : public Cache {
 public:
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return name_; }
  const std::string& path() const override { return name_; }
  bool non_blocking() const override { return false; }
  CacheOutcome get(std::string_view key, std::string& value, std::string&) override {
    std::lock_guard lock(mu_);
    ++gets;
    auto it = map.find(std::string(key));
    if (it == map.end()) return CacheOutcome::NotFound;
    value = it->second;
    return CacheOutcome::Hit;
  }
  bool set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
           std::string&) override {
    std::lock_guard lock(mu_);
    ++sets;
    last_ttl = ttl;
    map[std::string(key)] = std::string(value);
    return true;
  }
  std::vector<PluginMetric> plugin_metrics() const override {
    return {PluginMetric{"remote", false, 1}};
  }

  std::mutex mu_;
  std::map<std::string, std::string> map;
  int gets = 0, sets = 0;
  std::chrono::milliseconds last_ttl{-1};

 private:
  std::string name_ = "remote";
};

TEST(NearCache, HitsAreAnsweredNearAndCountedApart) {
  auto remote = std::make_shared<CountingRemote>();
  remote->map["1"] = "from another daemon";
  auto near = make_near_cache(remote, 1 << 20, std::chrono::seconds(10));
  std::string value, error;
  ASSERT_EQ(near->get("1", value, error), CacheOutcome::Hit);  // via the remote tier
  EXPECT_EQ(value, "from another daemon");
  value.clear();
  ASSERT_EQ(near->get("1", value, error), CacheOutcome::Hit);  // near now
  EXPECT_EQ(value, "from another daemon");
  EXPECT_EQ(remote->gets, 1);
  EXPECT_EQ(near->get("2", value, error), CacheOutcome::NotFound);
  auto stats = near->near_stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->hits, 1u);
  EXPECT_EQ(stats->misses, 2u);
  EXPECT_GT(stats->bytes, 0u);
  EXPECT_EQ(stats->max_bytes, 1u << 20);
  // Names, metrics and the rest belong to the remote tier.
  EXPECT_EQ(near->name(), "remote");
  EXPECT_EQ(near->plugin_metrics().size(), 1u);
}

TEST(NearCache, GetNearNeverAsksTheRemoteTier) {
  auto remote = std::make_shared<CountingRemote>();
  remote->map["7"] = "13";
  auto near = make_near_cache(remote, 1 << 20, std::chrono::seconds(10));
  std::string value, error;
  EXPECT_FALSE(near->get_near("7", value));
  EXPECT_EQ(remote->gets, 0);
  ASSERT_EQ(near->get("7", value, error), CacheOutcome::Hit);
  value.clear();
  EXPECT_TRUE(near->get_near("7", value));
  EXPECT_EQ(value, "13");
  EXPECT_EQ(remote->gets, 1);
  EXPECT_EQ(near->near_stats()->hits, 1u);
  // Without a near tier nothing is near.
  EXPECT_FALSE(remote->get_near("7", value));
}

TEST(NearCache, SetsGoThroughAndAreKeptNear) {
  auto remote = std::make_shared<CountingRemote>();
  auto near = make_near_cache(remote, 1 << 20, std::chrono::seconds(10));
  std::string value, error;
  ASSERT_TRUE(near->set("5", "5", std::chrono::seconds(3), error));
  EXPECT_EQ(remote->sets, 1);
  EXPECT_EQ(remote->last_ttl, std::chrono::seconds(3));
  ASSERT_EQ(near->get("5", value, error), CacheOutcome::Hit);
  EXPECT_EQ(remote->gets, 0);
}

TEST(NearCache, EntriesNeverOutliveTheMaximumTtl) {
  auto remote = std::make_shared<CountingRemote>();
  auto near = make_near_cache(remote, 1 << 20, std::chrono::milliseconds(50));
  std::string value, error;
  ASSERT_TRUE(near->set("k", "v", std::chrono::hours(1), error));  // capped at 50 ms
  ASSERT_EQ(near->get("k", value, error), CacheOutcome::Hit);
  EXPECT_EQ(remote->gets, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  ASSERT_EQ(near->get("k", value, error), CacheOutcome::Hit);  // the remote still has it
  EXPECT_EQ(remote->gets, 1);
}

TEST(NearCache, BoundedByBytes) {
  auto remote = std::make_shared<CountingRemote>();
  const std::uint64_t max = 64 * 1024;
  auto near = make_near_cache(remote, max, std::chrono::seconds(10));
  std::string error;
  for (int i = 0; i < 1000; ++i) {
    near->set(std::to_string(i), std::string(1000, 'x'), std::chrono::seconds(10), error);
  }
  EXPECT_LE(near->near_stats()->bytes, max);
  EXPECT_GT(near->near_stats()->bytes, 0u);
  // A value larger than a shard's share is passed on but not kept.
  ASSERT_TRUE(near->set("huge", std::string(max, 'y'), std::chrono::seconds(10), error));
  std::string value;
  remote->gets = 0;
  ASSERT_EQ(near->get("huge", value, error), CacheOutcome::Hit);
  EXPECT_EQ(remote->gets, 1);
}

TEST(NearCache, ConcurrentReadersAndWriters) {
  auto remote = std::make_shared<CountingRemote>();
  auto near = make_near_cache(remote, 256 * 1024, std::chrono::seconds(10));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string value, error;
      for (int i = 0; i < 2000; ++i) {
        std::string key = std::to_string((t * 7 + i) % 300);
        near->set(key, "v" + key, std::chrono::seconds(10), error);
        if (near->get(key, value, error) == CacheOutcome::Hit && value != "v" + key) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace fibd
