// Writes computed values into the cache after their answer has gone out: a
// miss never waits for the cache's set() (with a slow Redis that would be up
// to its command_timeout per miss). One thread, a bounded queue; when the
// queue is full a write is dropped and counted (fibd_cache_writes_dropped_total),
// so a cache that hangs costs neither memory nor answers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "compute/runtime.h"

namespace fibd {

class Metrics;

class CacheWriter {
 public:
  // At most max_queued writes and max_queued_bytes of values wait at once
  // (one write is always accepted into an empty queue).
  CacheWriter(Metrics& metrics, std::size_t max_queued = 64,
              std::size_t max_queued_bytes = std::size_t{64} << 20);
  ~CacheWriter();
  CacheWriter(const CacheWriter&) = delete;
  CacheWriter& operator=(const CacheWriter&) = delete;

  // Queues set(key(n), digits) into rt's cache. Never blocks. Thread-safe.
  void enqueue(std::shared_ptr<const Runtime> rt, std::uint64_t n,
               std::shared_ptr<const std::string> digits);

  // Drops what is still queued, finishes the write in progress, joins.
  // Idempotent.
  void stop();

 private:
  struct Write {
    std::shared_ptr<const Runtime> runtime;  // keeps its cache alive
    std::uint64_t n = 0;
    std::shared_ptr<const std::string> digits;
  };
  void run(std::stop_token stop);

  Metrics& metrics_;
  const std::size_t max_queued_;
  const std::size_t max_queued_bytes_;
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Write> queue_;
  std::size_t queued_bytes_ = 0;
  bool stopped_ = false;
  std::jthread thread_;
};

}  // namespace fibd
