// fibd-test-label: threaded
//
// The cache writer: computed values reach the cache after their answer, in
// order, on its own thread; a cache that keeps nothing ("none") is not
// written to at all, so a miss does not wake the writer for nothing.
#include "compute/cache_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "metrics/metrics.h"
#include "plugin_host/cache.h"

namespace fibd {
namespace {

using namespace std::chrono_literals;

class CountingCache final : public Cache {
 public:
  explicit CountingCache(bool keeps) : keeps_(keeps) {}
  const std::string& name() const override { return text_; }
  const std::string& version() const override { return text_; }
  const std::string& path() const override { return text_; }
  bool non_blocking() const override { return true; }
  bool keeps_values() const override { return keeps_; }
  CacheOutcome get(std::string_view, std::string&, std::string&) override {
    return CacheOutcome::NotFound;
  }
  bool set(std::string_view, std::string_view, std::chrono::milliseconds,
           std::string&) override {
    sets.fetch_add(1);
    return true;
  }
  std::atomic<int> sets{0};

 private:
  const bool keeps_;
  std::string text_ = "counting";
};

std::shared_ptr<const Runtime> runtime_with(std::shared_ptr<Cache> cache) {
  auto rt = std::make_shared<Runtime>();
  rt->cache = std::move(cache);
  return rt;
}

TEST(CacheWriter, WritesNothingIntoACacheThatKeepsNothing) {
  Metrics metrics;
  CacheWriter writer(metrics);
  auto keeps_nothing = std::make_shared<CountingCache>(false);
  auto keeps = std::make_shared<CountingCache>(true);
  const auto digits = std::make_shared<const std::string>("2880067194370816120");
  // In this order: by the time the second write is done, the first one
  // would have been too (one thread, first in, first out).
  writer.enqueue(runtime_with(keeps_nothing), 90, digits);
  writer.enqueue(runtime_with(keeps), 90, digits);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (keeps->sets.load() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  writer.stop();
  EXPECT_EQ(keeps->sets.load(), 1);
  EXPECT_EQ(keeps_nothing->sets.load(), 0);
}

}  // namespace
}  // namespace fibd
