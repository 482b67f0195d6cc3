// fibd-test-label: threaded
// memory.so through the real loader: options, LRU eviction, TTL, stats and
// concurrent use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::load;
using test::load_error;
using test::shipped_plugin;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

using Options = std::vector<std::pair<std::string, std::string>>;

std::shared_ptr<PluginCache> memory(Options options = {}) {
  return load(shipped_plugin("memory"), std::move(options));
}

std::map<std::string, std::uint64_t> stats_of(PluginCache& cache) {
  std::vector<std::pair<std::string, std::uint64_t>> list;
  std::string error;
  EXPECT_EQ(cache.stats(list, error), FIBD_CACHE_OK) << error;
  return {list.begin(), list.end()};
}

std::string option_error(const std::string& key, const std::string& value) {
  PluginLoadRequest r;
  r.path = shipped_plugin("memory");
  r.options = {{key, value}};
  return load_error(r);
}

TEST(MemoryPlugin, LogsLoadedAndUnloaded) {
  test::LogCapture log;
  memory().reset();
  EXPECT_THAT(log.text(),
              HasSubstr("info [plugin/memory] loaded (max_bytes=67108864, shards=16)"));
  EXPECT_THAT(log.text(), HasSubstr("info [plugin/memory] unloaded"));
}

TEST(MemoryPlugin, AcceptsSizes) {
  for (auto [text, bytes] :
       std::vector<std::pair<std::string, std::uint64_t>>{{"65536", 65536},
                                                          {"512KiB", 512u << 10},
                                                          {"64MiB", 64u << 20},
                                                          {"2GiB", 2ull << 30}}) {
    auto cache = memory({{"max_bytes", text}});
    EXPECT_EQ(stats_of(*cache)["max_bytes"], bytes) << text;
  }
}

TEST(MemoryPlugin, RejectsBadOptionsStrictly) {
  for (const char* bad :
       {"", "0", "-1", "+5", " 1024", "1024 ", "64MB", "64M", "1.5MiB", "0x100",
        "99999999999999999999999", "18446744073709551615GiB"}) {
    EXPECT_THAT(option_error("max_bytes", bad),
                HasSubstr("option max_bytes: '" + std::string(bad) + "'"))
        << bad;
  }
  for (const char* bad : {"0", "1025", "-2", "x", ""}) {
    EXPECT_THAT(option_error("shards", bad), HasSubstr("option shards")) << bad;
  }
  EXPECT_THAT(option_error("max_bytes", "2000"), HasSubstr("too small for 16 shards"));
  EXPECT_THAT(option_error("maxbytes", "1"),
              HasSubstr("unknown option 'maxbytes' (known: max_bytes, shards)"));
}

TEST(MemoryPlugin, EvictsLeastRecentlyUsed) {
  // One shard of 4 KiB; each entry costs its bytes plus 128.
  auto cache = memory({{"max_bytes", "4096"}, {"shards", "1"}});
  const std::string value(300, 'v');  // ~430 bytes with key and overhead: 9 fit
  std::string got, error;
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(cache->set("k" + std::to_string(i), value, 60s, error)) << error;
  }
  EXPECT_EQ(stats_of(*cache)["evictions"], 0u);
  ASSERT_EQ(cache->get("k0", got, error), CacheOutcome::Hit);  // k0 is now the newest
  ASSERT_TRUE(cache->set("k9", value, 60s, error));
  ASSERT_TRUE(cache->set("k10", value, 60s, error));
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["evictions"], 2u);
  EXPECT_LE(stats["bytes"], 4096u);
  EXPECT_EQ(cache->get("k0", got, error), CacheOutcome::Hit);
  EXPECT_EQ(cache->get("k1", got, error), CacheOutcome::NotFound);
  EXPECT_EQ(cache->get("k2", got, error), CacheOutcome::NotFound);
  EXPECT_EQ(cache->get("k3", got, error), CacheOutcome::Hit);
  EXPECT_EQ(cache->get("k10", got, error), CacheOutcome::Hit);
}

TEST(MemoryPlugin, RefusesEntriesLargerThanAShard) {
  auto cache = memory({{"max_bytes", "16KiB"}, {"shards", "4"}});
  std::string error;
  EXPECT_FALSE(cache->set("big", std::string(5000, 'x'), 60s, error));
  EXPECT_THAT(error, HasSubstr("does not fit: each of the 4 shards holds 4096 bytes"));
}

TEST(MemoryPlugin, OverwriteKeepsAccountingExact) {
  auto cache = memory({{"max_bytes", "1MiB"}, {"shards", "1"}});
  std::string error;
  ASSERT_TRUE(cache->set("k", std::string(1000, 'a'), 60s, error));
  ASSERT_TRUE(cache->set("k", std::string(10, 'b'), 60s, error));
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["entries"], 1u);
  EXPECT_EQ(stats["bytes"], 1u + 10u + 128u);
}

TEST(MemoryPlugin, TtlIsHonouredAndExpiredEntriesAreFreed) {
  auto cache = memory({{"shards", "1"}});
  std::string got, error;
  ASSERT_TRUE(cache->set("short", "s", 50ms, error));
  ASSERT_TRUE(cache->set("forever", "f", 0ms, error));
  EXPECT_EQ(cache->get("short", got, error), CacheOutcome::Hit);
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(cache->get("short", got, error), CacheOutcome::Expired);
  EXPECT_EQ(cache->get("short", got, error), CacheOutcome::NotFound);  // freed
  EXPECT_EQ(cache->get("forever", got, error), CacheOutcome::Hit);
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["entries"], 1u);
  EXPECT_EQ(stats["expired"], 1u);
}

TEST(MemoryPlugin, SetReclaimsExpiredEntriesNobodyReads) {
  auto cache = memory({{"shards", "1"}});
  std::string error;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(cache->set("old" + std::to_string(i), "x", 30ms, error));
  std::this_thread::sleep_for(80ms);
  ASSERT_TRUE(cache->set("new", "y", 60s, error));
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["entries"], 1u);
  EXPECT_EQ(stats["expired"], 3u);
}

TEST(MemoryPlugin, CountsHitsAndMisses) {
  auto cache = memory();
  std::string got, error;
  cache->get("a", got, error);
  cache->set("a", "1", 60s, error);
  cache->get("a", got, error);
  cache->get("a", got, error);
  cache->get("b", got, error);
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["hits"], 2u);
  EXPECT_EQ(stats["misses"], 2u);
  EXPECT_EQ(stats["entries"], 1u);
}

TEST(MemoryPlugin, DeleteAndClear) {
  auto cache = memory();
  std::string got, error;
  for (int i = 0; i < 100; ++i) cache->set(std::to_string(i), "v", 60s, error);
  EXPECT_EQ(cache->del("5", error), FIBD_CACHE_OK);
  EXPECT_EQ(cache->del("5", error), FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(stats_of(*cache)["entries"], 99u);
  EXPECT_EQ(cache->clear(error), FIBD_CACHE_OK);
  auto stats = stats_of(*cache);
  EXPECT_EQ(stats["entries"], 0u);
  EXPECT_EQ(stats["bytes"], 0u);
  EXPECT_EQ(cache->get("7", got, error), CacheOutcome::NotFound);
}

TEST(MemoryPlugin, ConcurrentUseUnderEvictionPressure) {
  auto cache = memory({{"max_bytes", "64KiB"}, {"shards", "4"}});
  std::atomic<int> errors{0}, wrong{0}, hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string got, error;
      for (int i = 0; i < 3000; ++i) {
        std::string key = std::to_string((i * 7 + t) % 500);
        std::string value =
            key + ":" + std::string(static_cast<std::size_t>(i % 200), 'x');
        if (!cache->set(key, value, (i % 3 == 0) ? 1ms : 60s, error)) ++errors;
        switch (cache->get(key, got, error)) {
          case CacheOutcome::Hit:
            ++hits;
            if (got.compare(0, key.size() + 1, key + ":") != 0) ++wrong;
            break;
          case CacheOutcome::Error:
            ++errors;
            break;
          default:
            break;
        }
        if (i % 250 == 0) {
          std::vector<std::pair<std::string, std::uint64_t>> s;
          cache->stats(s, error);
        }
        if (i % 500 == 0) cache->del(key, error);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(hits.load(), 0);
  auto stats = stats_of(*cache);
  EXPECT_LE(stats["bytes"], 64u * 1024u);
  EXPECT_GT(stats["evictions"], 0u);
}

}  // namespace
}  // namespace fibd
