#include "compute/fib_service.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "compute/cached_value.h"
#include "compute/fib.h"
#include "compute/fib_check.h"
#include "metrics/metrics.h"

namespace fibd {

struct FibService::Job {
  std::uint64_t n = 0;
  std::shared_ptr<const Runtime> runtime;
  bool lookup_cache = false;
  std::atomic<bool> cancel{false};
  // Guarded by FibService::mutex_.
  std::vector<std::pair<std::uint64_t, Callback>> waiters;
  bool finished = false;
};

FibService::FibService(unsigned workers, Metrics& metrics)
    : metrics_(metrics), writer_(metrics) {
  prepare_fib_check();  // the secret moduli are drawn now, not on a request
  workers = std::max(1u, workers);
  workers_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) {
    workers_.emplace_back([this](std::stop_token st) {
      pthread_setname_np(pthread_self(), "fibd-worker");  // top -H, tests
      worker_loop(st);
    });
  }
}

FibService::~FibService() { stop(); }

void FibService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [n, job] : by_n_) job->cancel = true;
    for (auto& job : queue_) job->cancel = true;
  }
  for (auto& w : workers_) w.request_stop();
  work_ready_.notify_all();
  workers_.clear();  // joins
  writer_.stop();
}

FibService::Submit FibService::submit(std::uint64_t n, std::shared_ptr<const Runtime> rt,
                                      bool lookup_cache, Callback done, Ticket& ticket) {
  std::lock_guard lock(mutex_);
  if (stopped_) return Submit::Overloaded;
  auto it = by_n_.find(n);
  if (it != by_n_.end()) {
    ticket = {it->second, next_waiter_++};
    it->second->waiters.emplace_back(ticket.waiter, std::move(done));
    return Submit::Joined;
  }
  if (inflight_ >= rt->max_inflight) return Submit::Overloaded;
  auto job = std::make_shared<Job>();
  job->n = n;
  job->runtime = std::move(rt);
  job->lookup_cache = lookup_cache;
  ticket = {job, next_waiter_++};
  job->waiters.emplace_back(ticket.waiter, std::move(done));
  by_n_.emplace(n, job);
  queue_.push_back(std::move(job));
  ++inflight_;
  metrics_.computation_started();
  work_ready_.notify_one();
  return Submit::Started;
}

bool FibService::detach(const Ticket& ticket) {
  if (!ticket.job) return false;
  std::lock_guard lock(mutex_);
  auto& job = *ticket.job;
  if (job.finished) return false;
  auto& w = job.waiters;
  auto it = std::find_if(w.begin(), w.end(),
                         [&](const auto& p) { return p.first == ticket.waiter; });
  if (it == w.end()) return false;
  w.erase(it);
  if (w.empty()) {
    // Nobody wants it any more: stop it and let a new request start afresh.
    job.cancel = true;
    auto found = by_n_.find(job.n);
    if (found != by_n_.end() && found->second == ticket.job) by_n_.erase(found);
  }
  return true;
}

void FibService::ping(std::function<void()> answered) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    pings_.push_back(std::move(answered));
  }
  work_ready_.notify_one();
}

std::size_t FibService::inflight() const {
  std::lock_guard lock(mutex_);
  return inflight_;
}

void FibService::worker_loop(std::stop_token stop) {
  while (true) {
    std::shared_ptr<Job> job;
    std::function<void()> ping;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, stop, [&] { return !queue_.empty() || !pings_.empty(); });
      if (!pings_.empty()) {
        ping = std::move(pings_.front());
        pings_.pop_front();
      } else {
        if (stop.stop_requested() && queue_.empty()) return;
        if (queue_.empty()) continue;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (ping) {
      ping();
      continue;
    }
    run(job);
  }
}

void FibService::run(const std::shared_ptr<Job>& job) {
  auto result = std::make_shared<FibResult>();
  const Runtime& rt = *job->runtime;
  const std::string key = cache_key(job->n);
  std::string error;

  if (job->lookup_cache && !job->cancel) {
    std::string value;
    switch (rt.cache->get(key, value, error)) {
      case CacheOutcome::Hit: {
        std::shared_ptr<const std::string> kept;
        if (!accept_cached_fib(job->n, value, *rt.cache, metrics_, &kept)) {
          metrics_.cache_miss();  // computed below, served, and written back
          break;
        }
        metrics_.cache_hit();
        result->status = FibResult::Status::Ok;
        // The remembered copy when there is one: the same bytes, shared.
        result->digits = kept != nullptr
                             ? std::move(kept)
                             : std::make_shared<const std::string>(std::move(value));
        result->from_cache = true;
        break;
      }
      case CacheOutcome::Error:
        metrics_.cache_error();
        log_cache_error("get", rt.cache->name(), error);
        [[fallthrough]];
      case CacheOutcome::NotFound:
      case CacheOutcome::Expired:
        metrics_.cache_miss();
        break;
    }
  }

  if (!result->digits) {
    auto started = std::chrono::steady_clock::now();
    std::optional<std::string> digits;
    try {
      digits = compute_fib(rt.algorithm, job->n, job->cancel);
    } catch (const std::exception& e) {  // e.g. std::bad_alloc for huge n
      result->status = FibResult::Status::Failed;
      result->error = e.what();
    }
    metrics_.observe_compute(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
            .count());
    if (digits) {
      result->status = FibResult::Status::Ok;
      result->digits = std::make_shared<const std::string>(std::move(*digits));
    } else if (result->error.empty()) {
      result->status = FibResult::Status::Cancelled;
    }
  }

  std::vector<std::pair<std::uint64_t, Callback>> waiters;
  {
    std::lock_guard lock(mutex_);
    job->finished = true;
    waiters.swap(job->waiters);
    auto found = by_n_.find(job->n);
    if (found != by_n_.end() && found->second == job) by_n_.erase(found);
    --inflight_;
  }
  metrics_.computation_finished();
  // Queued (never waited for) before the answers go out, so a client that
  // has its answer sees the write pending (fibd_cache_writes_pending).
  if (result->status == FibResult::Status::Ok && !result->from_cache) {
    writer_.enqueue(job->runtime, job->n, result->digits);
  }
  for (auto& [id, done] : waiters) done(result);
}

}  // namespace fibd
