#include "plugin_host/plugin_reaper.h"

#include <pthread.h>

#include "plugin_host/cache.h"

namespace fibd {

PluginReaper::PluginReaper() {
  thread_ = std::jthread([this](std::stop_token st) {
    pthread_setname_np(pthread_self(), "fibd-reaper");
    run(st);
  });
}

PluginReaper::~PluginReaper() {
  thread_.request_stop();
  ready_.notify_all();
  thread_.join();  // run() empties the queue before it returns
  std::lock_guard lock(mutex_);
  queue_.clear();  // retired while the thread was ending
}

void PluginReaper::retire(std::shared_ptr<Cache> cache) {
  if (!cache) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(cache));
  }
  ready_.notify_one();
}

std::shared_ptr<Cache> PluginReaper::adopt(std::shared_ptr<Cache> cache) {
  Cache* raw = cache.get();
  return std::shared_ptr<Cache>(
      raw, [this, keep = std::move(cache)](Cache*) mutable { retire(std::move(keep)); });
}

void PluginReaper::run(std::stop_token stop) {
  while (true) {
    std::shared_ptr<Cache> next;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stop requested and nothing left
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next.reset();  // the last reference: destroy(), then dlclose(), here
  }
}

}  // namespace fibd
