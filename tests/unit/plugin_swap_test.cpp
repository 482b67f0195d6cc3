// fibd-test-label: threaded
// Swapping cache instances while threads use them, at the Cache level (the
// daemon's reload path adds config and signalling around exactly this): no
// call fails, every instance is destroyed exactly once by whichever thread
// drops it last, and no image, memfd or descriptor is left behind.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "plugin_host/cache_factory.h"
#include "plugin_test_support.h"

namespace fibd {
namespace {

using namespace std::chrono_literals;

int open_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

CacheSettings settings_for(const std::string& plugin) {
  CacheSettings s;
  s.plugin = plugin;
  s.plugin_dir = std::string(FIBD_BUILD_DIR) + "/plugins";
  s.expiration = 60s;
  return s;
}

TEST(PluginSwap, SwapsUnderLoadWithoutFailedCallsOrLeaks) {
  constexpr int kSwaps = 200;
  constexpr int kClients = 8;
  test::LogCapture log;
  const int fds_before = open_fd_count();
  const auto images_before = PluginImage::live_count();
  const auto pinned_before = PluginImage::pinned_count();

  const std::vector<std::string> rotation = {"memory", "none", "example_c"};
  // The instance requests take, behind a mutex (what the daemon holds is its
  // own business; the free std::atomic_* functions for shared_ptr are
  // deprecated in gcc 14).
  std::mutex current_mutex;
  std::shared_ptr<Cache> current = open_cache(settings_for("memory"));
  auto exchange_current = [&](std::shared_ptr<Cache> next) {
    std::lock_guard lock(current_mutex);
    current.swap(next);
    return next;
  };
  int memory_loads = 1, example_loads = 0;

  std::atomic<bool> stop{false};
  std::atomic<long> calls{0}, errors{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      std::string value, error;
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        // A request takes the current instance and keeps it until done.
        std::shared_ptr<Cache> cache;
        {
          std::lock_guard lock(current_mutex);
          cache = current;
        }
        std::string key = std::to_string((i * 13 + t) % 300);
        if (cache->get(key, value, error) == CacheOutcome::Error) ++errors;
        if (!cache->set(key, key + "!", 60s, error)) ++errors;
        calls += 2;
      }
    });
  }

  double total_ms = 0, worst_ms = 0;
  for (int i = 1; i <= kSwaps; ++i) {
    const std::string& next = rotation[static_cast<std::size_t>(i) % rotation.size()];
    auto started = std::chrono::steady_clock::now();
    std::shared_ptr<Cache> fresh = open_cache(settings_for(next));  // build first
    std::shared_ptr<Cache> old = exchange_current(fresh);
    old.reset();  // destroyed here, or by the last client still using it
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - started)
                    .count();
    total_ms += ms;
    worst_ms = std::max(worst_ms, ms);
    if (next == "memory") ++memory_loads;
    if (next == "example_c") ++example_loads;
    std::this_thread::sleep_for(1ms);
  }
  stop = true;
  for (auto& th : clients) th.join();
  exchange_current(nullptr);

  std::cout << "[ swaps    ] " << kSwaps << " swaps under " << kClients << " clients, "
            << calls.load() << " calls; swap (load new + drop old) avg "
            << total_ms / kSwaps << " ms, worst " << worst_ms << " ms\n";
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(calls.load(), 0);
  EXPECT_EQ(log.count("[plugin/memory] loaded"), static_cast<std::size_t>(memory_loads));
  EXPECT_EQ(log.count("[plugin/memory] unloaded"),
            static_cast<std::size_t>(memory_loads));
  EXPECT_EQ(log.count("[plugin/example_c] ready"),
            static_cast<std::size_t>(example_loads));
  EXPECT_EQ(log.count("[plugin/example_c] stopped"),
            static_cast<std::size_t>(example_loads));
  EXPECT_EQ(PluginImage::live_count(), images_before);
  EXPECT_EQ(PluginImage::pinned_count(), pinned_before);
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(PluginSwap, FailedLoadLeavesNothingBehind) {
  const int fds_before = open_fd_count();
  const auto images_before = PluginImage::live_count();
  for (const char* name :
       {"create_fails", "wrong_abi", "null_descriptor", "missing_entry"}) {
    EXPECT_THROW(test::load(test::test_plugin(name)), CacheLoadError) << name;
  }
  EXPECT_THROW(test::load(test::shipped_plugin("memory"), {{"bogus", "1"}}),
               CacheLoadError);
  EXPECT_EQ(PluginImage::live_count(), images_before);
  EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
}  // namespace fibd
