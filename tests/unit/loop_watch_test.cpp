// fibd-test-label: threaded
// The event-loop watches plugins get through fibd_cache_host: EventLoop's
// LoopWatch (http/event_watch.cpp) and the C functions over it
// (plugin_host/plugin_host_loop.cpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "../support/host_loop.h"
#include "base/unique_fd.h"

namespace fibd {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// What a watch's callback saw, and a way to wait for it.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint32_t> events;
  std::thread::id thread;

  static void record(void* arg, std::uint32_t events) {
    auto* self = static_cast<Seen*>(arg);
    std::lock_guard lock(self->mu);
    self->events.push_back(events);
    self->thread = std::this_thread::get_id();
    self->cv.notify_all();
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 30s, [&] { return events.size() >= n; });
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return events.size();
  }
  std::uint32_t at(std::size_t i) {
    std::lock_guard lock(mu);
    return events.at(i);
  }
  std::thread::id last_thread() {
    std::lock_guard lock(mu);
    return thread;
  }
};

template <typename Fn>
auto on_loop(EventLoop& loop, Fn fn) {
  return test::run_on(loop, std::move(fn));
}

std::thread::id loop_thread(EventLoop& loop) {
  return on_loop(loop, [] { return std::this_thread::get_id(); });
}

class LoopWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_.start(); }
  std::unique_ptr<LoopWatch> watch(int fd, Seen& seen) {
    return on_loop(loop_, [&] { return loop_.watch(fd, &Seen::record, &seen); });
  }
  bool set(LoopWatch& w, std::uint32_t events, std::chrono::nanoseconds timeout) {
    return on_loop(loop_, [&] { return w.set(events, timeout); });
  }
  EventLoop loop_;
};

TEST_F(LoopWatchTest, ReadinessIsReportedOnTheLoopThread) {
  Pipe pipe;
  Seen seen;
  auto w = watch(pipe.read.get(), seen);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(set(*w, LoopWatch::kRead, 0ns));
  ASSERT_EQ(::write(pipe.write.get(), "x", 1), 1);
  ASSERT_TRUE(seen.wait_for(1));
  EXPECT_EQ(seen.at(0), LoopWatch::kRead);
  EXPECT_EQ(seen.last_thread(), loop_thread(loop_));
  // Idle again: no more reports although the byte is still unread.
  ASSERT_TRUE(set(*w, 0, 0ns));
  const std::size_t before = seen.count();
  loop_thread(loop_);  // a full turn of the loop
  EXPECT_EQ(seen.count(), before);
}

TEST_F(LoopWatchTest, TimeoutWithoutEventsIsReported) {
  Pipe pipe;
  Seen seen;
  auto w = watch(pipe.read.get(), seen);
  ASSERT_TRUE(set(*w, LoopWatch::kRead, 20ms));
  ASSERT_TRUE(seen.wait_for(2));  // and again after as long
  EXPECT_EQ(seen.at(0), LoopWatch::kTimeout);
  EXPECT_EQ(seen.at(1), LoopWatch::kTimeout);
}

TEST_F(LoopWatchTest, ActivationsBeforeTheRunGiveOneRun) {
  Seen seen;
  auto w = watch(-1, seen);
  ASSERT_NE(w, nullptr);
  std::promise<void> release;
  auto blocked = release.get_future();
  std::promise<void> blocking;
  loop_.post([&] {
    blocking.set_value();
    blocked.wait();  // the loop is busy while the activations arrive
  });
  blocking.get_future().wait();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(w->activate());  // from this thread
  release.set_value();
  ASSERT_TRUE(seen.wait_for(1));
  loop_thread(loop_);
  EXPECT_EQ(seen.count(), 1u);
  EXPECT_EQ(seen.at(0), 0u);
}

TEST_F(LoopWatchTest, AnActivationSurvivesAChangeOfEvents) {
  Pipe pipe;
  Seen seen;
  auto w = watch(pipe.read.get(), seen);
  ASSERT_TRUE(on_loop(loop_, [&] {
    // Both on the loop, before it runs the activation: re-adding the event
    // for new events must not lose it (nor must going idle).
    return w->activate() && w->set(LoopWatch::kRead | LoopWatch::kWrite, 0ns) &&
           w->set(0, 0ns);
  }));
  ASSERT_TRUE(seen.wait_for(1));
  EXPECT_EQ(seen.at(0), 0u);
}

TEST_F(LoopWatchTest, FreeFromAnotherThreadWaitsForTheRunningCallback) {
  struct Slow {
    std::promise<void> entered;
    std::atomic<bool> finished{false};
    static void run(void* arg, std::uint32_t) {
      auto* self = static_cast<Slow*>(arg);
      self->entered.set_value();
      std::this_thread::sleep_for(200ms);
      self->finished = true;
    }
  } slow;
  auto w = on_loop(loop_, [&] { return loop_.watch(-1, &Slow::run, &slow); });
  w->activate();
  slow.entered.get_future().wait();
  w.reset();  // while run() sleeps on the loop
  EXPECT_TRUE(slow.finished.load());
}

TEST_F(LoopWatchTest, WatchOutlivesItsLoopQuietly) {
  Pipe pipe;
  Seen seen;
  auto w = watch(pipe.read.get(), seen);
  ASSERT_TRUE(set(*w, LoopWatch::kRead, 0ns));
  loop_.stop();
  ASSERT_EQ(::write(pipe.write.get(), "x", 1), 1);
  EXPECT_FALSE(w->activate());  // nothing to run it
  EXPECT_FALSE(w->set(LoopWatch::kRead, 0ns));
  w.reset();  // and freed without the loop
  EXPECT_EQ(seen.count(), 0u);
}

TEST_F(LoopWatchTest, PluginServicesOnlyWatchFromTheLoopsOwnThread) {
  PluginHost host("test");
  const fibd_cache_host* h = host.services();
  ASSERT_GE(h->struct_size, sizeof(fibd_cache_host));
  auto* loop = on_loop(loop_, [] { return PluginHost::current_loop(); });
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(PluginHost::current_loop(), nullptr);  // this thread has no loop
  Seen seen;
  // Not on the loop's thread: refused.
  EXPECT_EQ(h->watch_new(h->ctx, loop, -1, &Seen::record, &seen), nullptr);
  fibd_cache_watch* w = on_loop(
      loop_, [&] { return h->watch_new(h->ctx, loop, -1, &Seen::record, &seen); });
  ASSERT_NE(w, nullptr);
  // Nonsense is refused, not trusted.
  EXPECT_EQ(on_loop(loop_,
                    [&] { return h->watch_new(h->ctx, loop, -7, &Seen::record, &seen); }),
            nullptr);
  EXPECT_EQ(
      on_loop(loop_, [&] { return h->watch_new(h->ctx, loop, -1, nullptr, &seen); }),
      nullptr);
  EXPECT_EQ(h->watch_set(h->ctx, nullptr, FIBD_CACHE_WATCH_READ, 0), -1);
  EXPECT_EQ(h->watch_activate(h->ctx, nullptr), -1);
  h->watch_free(h->ctx, nullptr);

  EXPECT_EQ(on_loop(loop_, [&] { return h->watch_set(h->ctx, w, 0, 10'000'000); }), 0);
  ASSERT_TRUE(seen.wait_for(1));
  EXPECT_EQ(seen.at(0), FIBD_CACHE_WATCH_TIMEOUT);
  EXPECT_EQ(h->watch_activate(h->ctx, w), 0);
  ASSERT_TRUE(seen.wait_for(2));
  h->watch_free(h->ctx, w);
}

}  // namespace
}  // namespace fibd
