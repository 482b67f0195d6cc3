#include "compute/cache_writer.h"

#include <pthread.h>

#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "metrics/metrics.h"

namespace fibd {

CacheWriter::CacheWriter(Metrics& metrics, std::size_t max_queued,
                         std::size_t max_queued_bytes)
    : metrics_(metrics), max_queued_(max_queued), max_queued_bytes_(max_queued_bytes) {
  thread_ = std::jthread([this](std::stop_token st) {
    pthread_setname_np(pthread_self(), "fibd-cachewrite");
    run(st);
  });
}

CacheWriter::~CacheWriter() { stop(); }

void CacheWriter::stop() {
  std::deque<Write> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    dropped.swap(queue_);
    queued_bytes_ = 0;
  }
  for (std::size_t i = 0; i < dropped.size(); ++i) metrics_.cache_write_finished();
  thread_.request_stop();
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
  // `dropped` goes here, outside the lock (it may hold the last reference
  // to a retired cache).
}

void CacheWriter::enqueue(std::shared_ptr<const Runtime> rt, std::uint64_t n,
                          std::shared_ptr<const std::string> digits) {
  if (!rt->cache->keeps_values()) return;  // "none": nothing to write
  const std::size_t bytes = digits->size();
  Write write{std::move(rt), n, std::move(digits)};
  {
    std::lock_guard lock(mutex_);
    const bool full = !queue_.empty() && (queue_.size() >= max_queued_ ||
                                          queued_bytes_ + bytes > max_queued_bytes_);
    if (!stopped_ && !full) {
      queued_bytes_ += bytes;
      queue_.push_back(std::move(write));
      metrics_.cache_write_queued();
      ready_.notify_one();
      return;
    }
  }
  metrics_.cache_write_dropped();
  // `write` goes here, outside the lock.
}

void CacheWriter::run(std::stop_token stop) {
  std::string error;
  while (true) {
    Write write;
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
      write = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= write.digits->size();
    }
    Cache& cache = *write.runtime->cache;
    error.clear();
    if (!cache.set(cache_key(write.n), *write.digits, write.runtime->ttl, error)) {
      metrics_.cache_error();
      log_cache_error("set", cache.name(), error);
    }
    metrics_.cache_write_finished();
  }
}

}  // namespace fibd
