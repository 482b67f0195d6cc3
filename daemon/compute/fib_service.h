// Runs Fibonacci computations on a bounded pool of worker threads, never on an
// event-loop thread. Concurrent requests for the same n share one computation
// (coalescing); a computation whose waiters have all gone is cancelled; more
// than max_inflight computations at once are refused rather than queued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "compute/cache_writer.h"
#include "compute/runtime.h"

namespace fibd {

class Metrics;

struct FibResult {
  enum class Status { Ok, Cancelled, Failed };
  Status status = Status::Failed;
  std::shared_ptr<const std::string> digits;  // Ok: decimal digits of F(n)
  bool from_cache = false;                    // found by the worker's cache lookup
  std::string error;                          // Failed: why
};

class FibService {
 public:
  using Callback = std::function<void(const std::shared_ptr<const FibResult>&)>;

  struct Job;
  struct Ticket {
    std::shared_ptr<Job> job;
    std::uint64_t waiter = 0;
  };

  enum class Submit { Started, Joined, Overloaded };

  FibService(unsigned workers, Metrics& metrics);
  ~FibService();
  FibService(const FibService&) = delete;
  FibService& operator=(const FibService&) = delete;

  // Asks for F(n) under runtime `rt`. With lookup_cache the worker asks the
  // cache first (for caches that may block). `done` runs exactly once on a
  // worker thread, unless detach() returns true first. Overloaded: nothing
  // was queued and `done` will not run.
  Submit submit(std::uint64_t n, std::shared_ptr<const Runtime> rt, bool lookup_cache,
                Callback done, Ticket& ticket);

  // The waiter is no longer interested (client gone, timed out). Returns true
  // if its callback will not run. The last waiter leaving cancels the job.
  bool detach(const Ticket& ticket);

  // Writes F(n), computed elsewhere, into rt's cache after its answer (the
  // same bounded writer the workers use). Never blocks. Thread-safe.
  void store(std::shared_ptr<const Runtime> rt, std::uint64_t n,
             std::shared_ptr<const std::string> digits) {
    writer_.enqueue(std::move(rt), n, std::move(digits));
  }

  // Computations queued or running, including cancelled ones still unwinding.
  std::size_t inflight() const;

  // Cancels everything and joins the workers. Idempotent.
  void stop();

 private:
  void worker_loop(std::stop_token stop);
  void run(const std::shared_ptr<Job>& job);

  Metrics& metrics_;
  mutable std::mutex mutex_;
  std::condition_variable_any work_ready_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Job>> by_n_;  // joinable jobs
  std::size_t inflight_ = 0;
  std::uint64_t next_waiter_ = 1;
  bool stopped_ = false;
  CacheWriter writer_;  // computed values go to the cache after their answer
  std::vector<std::jthread> workers_;
};

}  // namespace fibd
