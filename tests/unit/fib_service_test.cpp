// fibd-test-label: threaded
#include "compute/fib_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "metrics/metrics.h"

namespace fibd {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Runtime> runtime(Algorithm algorithm, unsigned max_inflight = 8) {
  auto rt = std::make_shared<Runtime>();
  rt->cache = make_none_cache();
  rt->algorithm = algorithm;
  rt->max_n = algorithm == Algorithm::Naive ? kNaiveMaxN : 1000000;
  rt->max_inflight = max_inflight;
  rt->compute_timeout = 30s;
  return rt;
}

// Collects one result per waiter.
struct Waiter {
  std::promise<std::shared_ptr<const FibResult>> promise;
  std::future<std::shared_ptr<const FibResult>> future = promise.get_future();
  FibService::Callback callback() {
    return [this](const std::shared_ptr<const FibResult>& r) { promise.set_value(r); };
  }
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(FibService, ComputesAndAnswersEveryWaiter) {
  Metrics metrics;
  FibService service(2, metrics);
  Waiter w;
  FibService::Ticket t;
  ASSERT_EQ(service.submit(93, runtime(Algorithm::Fast), false, w.callback(), t),
            FibService::Submit::Started);
  auto result = w.future.get();
  ASSERT_EQ(result->status, FibResult::Status::Ok);
  EXPECT_EQ(*result->digits, "12200160415121876738");
  EXPECT_FALSE(result->from_cache);
  EXPECT_TRUE(eventually([&] { return service.inflight() == 0; }));
}

TEST(FibService, CoalescesConcurrentRequestsForTheSameN) {
  Metrics metrics;
  FibService service(2, metrics);
  auto rt = runtime(Algorithm::Naive);
  // F(36) by recursion takes long enough for the others to join.
  Waiter first, second, third;
  FibService::Ticket t1, t2, t3;
  ASSERT_EQ(service.submit(36, rt, false, first.callback(), t1),
            FibService::Submit::Started);
  EXPECT_EQ(service.submit(36, rt, false, second.callback(), t2),
            FibService::Submit::Joined);
  EXPECT_EQ(service.submit(36, rt, false, third.callback(), t3),
            FibService::Submit::Joined);
  EXPECT_EQ(service.inflight(), 1u);
  auto a = first.future.get();
  auto b = second.future.get();
  auto c = third.future.get();
  EXPECT_EQ(*a->digits, "14930352");
  EXPECT_EQ(a, b);  // one computation, one shared result
  EXPECT_EQ(b, c);
}

TEST(FibService, LastWaiterLeavingCancelsTheComputation) {
  Metrics metrics;
  FibService service(1, metrics);
  auto rt = runtime(Algorithm::Naive);
  Waiter w1, w2;
  FibService::Ticket t1, t2;
  ASSERT_EQ(service.submit(90, rt, false, w1.callback(), t1),
            FibService::Submit::Started);
  ASSERT_EQ(service.submit(90, rt, false, w2.callback(), t2), FibService::Submit::Joined);
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(service.detach(t1));
  EXPECT_FALSE(service.detach(t1));   // only once
  EXPECT_EQ(service.inflight(), 1u);  // one waiter left: still running
  EXPECT_TRUE(service.detach(t2));
  // F(90) by recursion would take centuries: only cancellation ends it.
  EXPECT_TRUE(eventually([&] { return service.inflight() == 0; }))
      << "the computation did not stop after its last waiter left";
  // Detached waiters are never called back.
  EXPECT_EQ(w1.future.wait_for(0ms), std::future_status::timeout);
  EXPECT_EQ(w2.future.wait_for(0ms), std::future_status::timeout);
  // The worker is free again.
  Waiter w3;
  FibService::Ticket t3;
  ASSERT_EQ(service.submit(20, rt, false, w3.callback(), t3),
            FibService::Submit::Started);
  EXPECT_EQ(*w3.future.get()->digits, "6765");
}

TEST(FibService, RefusesWorkBeyondMaxInflight) {
  Metrics metrics;
  FibService service(1, metrics);
  auto rt = runtime(Algorithm::Naive, /*max_inflight=*/2);
  Waiter a, b, c, joiner;
  FibService::Ticket ta, tb, tc, tj;
  ASSERT_EQ(service.submit(85, rt, false, a.callback(), ta), FibService::Submit::Started);
  ASSERT_EQ(service.submit(86, rt, false, b.callback(), tb), FibService::Submit::Started);
  EXPECT_EQ(service.submit(87, rt, false, c.callback(), tc),
            FibService::Submit::Overloaded);
  // Joining work already admitted is not new work.
  EXPECT_EQ(service.submit(85, rt, false, joiner.callback(), tj),
            FibService::Submit::Joined);
  EXPECT_EQ(service.inflight(), 2u);
  service.detach(ta);
  service.detach(tb);
  service.detach(tj);
  EXPECT_TRUE(eventually([&] { return service.inflight() == 0; }));
}

TEST(FibService, StopCancelsQueuedAndRunningJobs) {
  Metrics metrics;
  auto service = std::make_unique<FibService>(1, metrics);
  auto rt = runtime(Algorithm::Naive);
  Waiter running, queued;
  FibService::Ticket t1, t2;
  ASSERT_EQ(service->submit(88, rt, false, running.callback(), t1),
            FibService::Submit::Started);
  ASSERT_EQ(service->submit(89, rt, false, queued.callback(), t2),
            FibService::Submit::Started);
  service->stop();  // must return: both jobs are cancelled
  EXPECT_EQ(running.future.get()->status, FibResult::Status::Cancelled);
  EXPECT_EQ(queued.future.get()->status, FibResult::Status::Cancelled);
}

}  // namespace
}  // namespace fibd
