// LoopWatch on a libevent base, and the registry that lets watches outlive
// their loop: when the loop stops, every watch still alive loses its event
// (it never fires again) and the base may go; the watch object stays valid
// until its owner frees it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>

#include "base/loop_watch.h"

struct event;
struct event_base;

namespace fibd {

class EventWatch;

class WatchRegistry {
 public:
  explicit WatchRegistry(event_base* base) : base_(base) {}
  // The loop's thread only.
  std::unique_ptr<LoopWatch> watch(const std::shared_ptr<WatchRegistry>& self, int fd,
                                   LoopWatch::Callback callback, void* arg);
  // After the loop's thread has ended, before the base is freed: frees every
  // watch's event and waits for frees in progress on other threads.
  void orphan_all();

 private:
  friend class EventWatch;
  event_base* const base_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<EventWatch*> watches_;  // alive, with their event
  int freeing_ = 0;                // events being freed outside the lock
  bool stopped_ = false;
};

}  // namespace fibd
