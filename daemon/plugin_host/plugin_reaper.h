// Where retired plugin instances die: one thread that is never an event
// loop. Without it, destroy() and dlclose() ran on whichever thread dropped
// the last reference (a loop, the D-Bus thread, a worker): a slow destroy()
// (redis.so closing its pool) stalled that loop's requests, and dlclose()
// raced a reload's dlopen() on another thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace fibd {

class Cache;

class PluginReaper {
 public:
  PluginReaper();
  // Destroys what is still queued, on the reaper thread, then joins it.
  ~PluginReaper();
  PluginReaper(const PluginReaper&) = delete;
  PluginReaper& operator=(const PluginReaper&) = delete;

  // Drops `cache` on the reaper thread (where it is destroyed if that was
  // the last reference). Any thread; never waits for a destruction.
  void retire(std::shared_ptr<Cache> cache);

  // A reference to the same cache whose last release retires it here. The
  // reaper must outlive every copy of it.
  std::shared_ptr<Cache> adopt(std::shared_ptr<Cache> cache);

 private:
  void run(std::stop_token stop);

  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<std::shared_ptr<Cache>> queue_;
  std::jthread thread_;
};

}  // namespace fibd
