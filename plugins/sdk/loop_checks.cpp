// fibd-plugin-check: lookups made on one of fibd's event loops, as the
// daemon makes them. Such a call carries the loop (call->loop), and the
// plugin may do its I/O there through the host's watches; either way each
// lookup must complete exactly once.
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "contract_checks.h"
#include "http/event_loop.h"

namespace fibd::plugin_check {

namespace {

constexpr int kLoopCalls = 100;  // half hits, half misses

struct Tally {
  std::mutex mu;
  std::condition_variable cv;
  std::thread::id loop;
  int completed = 0, twice = 0, hits = 0, misses = 0, on_loop = 0;
  std::string wrong;  // the first unexpected answer
};

}  // namespace

void check_loop_calls(Report& r, PluginCache& c, const std::string& prefix) {
  const char* name = "async calls on an event loop";
  if (!c.descriptor().async()) {
    r.skip(name, "synchronous plugin");
    return;
  }
  std::string error;
  if (!c.set(prefix + "loop", "loop value", std::chrono::milliseconds(kLongTtlMs),
             error)) {
    r.fail(name, "set failed: " + error);
    return;
  }
  auto tally = std::make_shared<Tally>();
  std::vector<std::shared_ptr<CacheLookupHandle>> handles;
  EventLoop loop;
  loop.start();
  std::promise<void> started;
  loop.post([&] {
    tally->loop = std::this_thread::get_id();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; i < kLoopCalls; ++i) {
      const bool hit = i % 2 == 0;
      auto once = std::make_shared<std::atomic<bool>>(false);
      handles.push_back(
          c.get_async(prefix + (hit ? "loop" : "loop-miss"), deadline,
                      [tally, once, hit](CacheLookup lookup) {
                        std::lock_guard lock(tally->mu);
                        if (once->exchange(true)) {
                          ++tally->twice;
                        } else {
                          ++tally->completed;
                          if (std::this_thread::get_id() == tally->loop) ++tally->on_loop;
                          if (hit && lookup.outcome == CacheOutcome::Hit &&
                              lookup.value == "loop value")
                            ++tally->hits;
                          else if (!hit && lookup.outcome == CacheOutcome::NotFound)
                            ++tally->misses;
                          else if (tally->wrong.empty())
                            tally->wrong = lookup.outcome == CacheOutcome::Error
                                               ? "an error: " + lookup.error
                                               : "a wrong answer";
                        }
                        tally->cv.notify_all();
                      }));
    }
    started.set_value();
  });
  started.get_future().wait();
  {
    std::unique_lock lock(tally->mu);
    tally->cv.wait_for(lock, std::chrono::seconds(30),
                       [&] { return tally->completed == kLoopCalls; });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // room for a second one
  loop.stop();
  std::lock_guard lock(tally->mu);
  std::string problem;
  if (tally->twice != 0)
    problem = std::to_string(tally->twice) + " lookups completed more than once";
  else if (tally->completed != kLoopCalls)
    problem = std::to_string(kLoopCalls - tally->completed) + " of " +
              std::to_string(kLoopCalls) + " lookups never completed";
  else if (!tally->wrong.empty())
    problem = "a lookup got " + tally->wrong;
  if (!problem.empty()) {
    r.fail(name, problem);
    return;
  }
  r.pass(name, std::to_string(kLoopCalls) + " lookups completed exactly once, " +
                   std::to_string(tally->on_loop) + " of them on the loop's thread");
}

}  // namespace fibd::plugin_check
