// fibd-test-label: threaded
#include "compute/fib.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace fibd {
namespace {

// F(n) by the fast algorithm, never cancelled.
std::string fib_fast(std::uint64_t n) {
  const std::atomic<bool> never{false};
  return compute_fib(Algorithm::Fast, n, never).value();
}

Mpz from_decimal(const std::string& digits) {
  Mpz value;
  EXPECT_EQ(mpz_set_str(value.get(), digits.c_str(), 10), 0) << digits;
  return value;
}

TEST(FibFast, KnownValues) {
  EXPECT_EQ(fib_fast(0), "0");
  EXPECT_EQ(fib_fast(1), "1");
  EXPECT_EQ(fib_fast(2), "1");
  EXPECT_EQ(fib_fast(10), "55");
  EXPECT_EQ(fib_fast(90), "2880067194370816120");
  EXPECT_EQ(fib_fast(92), "7540113804746346429");
  EXPECT_EQ(fib_fast(93), "12200160415121876738");  // past uint64's signed range
  EXPECT_EQ(fib_fast(94), "19740274219868223167");  // past uint64 altogether
  EXPECT_EQ(fib_fast(100), "354224848179261915075");
}

// F(n+2) = F(n+1) + F(n), summed independently with mpz_add.
TEST(FibFast, RecurrenceUpTo500) {
  Mpz a(0), b(1);
  for (std::uint64_t n = 0; n <= 500; ++n) {
    ASSERT_EQ(fib_fast(n), a.to_decimal()) << "n = " << n;
    Mpz next;
    mpz_add(next.get(), a.get(), b.get());
    mpz_set(a.get(), b.get());
    mpz_set(b.get(), next.get());
  }
}

// F(2k) = F(k) * (2 F(k+1) - F(k)), checked with independent mpz arithmetic.
TEST(FibFast, DoublingIdentity) {
  for (std::uint64_t k : {1ull, 2ull, 3ull, 10ull, 46ull, 47ull, 93ull, 1000ull, 12345ull,
                          100000ull, 250001ull}) {
    Mpz fk = from_decimal(fib_fast(k));
    Mpz fk1 = from_decimal(fib_fast(k + 1));
    Mpz f2k = from_decimal(fib_fast(2 * k));

    Mpz expected;
    mpz_mul_2exp(expected.get(), fk1.get(), 1);         // 2 F(k+1)
    mpz_sub(expected.get(), expected.get(), fk.get());  // - F(k)
    mpz_mul(expected.get(), expected.get(), fk.get());  // * F(k)
    EXPECT_EQ(mpz_cmp(expected.get(), f2k.get()), 0) << "k = " << k;
  }
}

TEST(FibFast, DigitCounts) {
  const std::string f100k = fib_fast(100000);
  EXPECT_EQ(f100k.size(), 20899u);
  EXPECT_NE(f100k.front(), '0');
  EXPECT_THAT(f100k, ::testing::MatchesRegex("[0-9]+"));
  EXPECT_EQ(f100k.substr(0, 10), "2597406934");  // leading digits of F(100000)
  EXPECT_EQ(f100k.substr(f100k.size() - 5), "46875");

  EXPECT_EQ(fib_fast(1000000).size(), 208988u);
}

TEST(FibNaive, MatchesFast) {
  const std::atomic<bool> cancel{false};
  for (std::uint64_t n = 0; n <= 30; ++n) {
    EXPECT_EQ(fib_naive(n, cancel), fib_fast(n)) << "n = " << n;
  }
}

TEST(FibNaive, RejectsOverCap) {
  const std::atomic<bool> cancel{false};
  EXPECT_THROW(fib_naive(kNaiveMaxN + 1, cancel), std::out_of_range);
  EXPECT_THROW(compute_fib(Algorithm::Naive, 1000, cancel), std::out_of_range);
}

TEST(FibNaive, AlreadyCancelledReturnsAtOnce) {
  const std::atomic<bool> cancel{true};
  EXPECT_EQ(fib_naive(90, cancel), std::nullopt);
}

TEST(FibNaive, CancellationStopsARunningComputation) {
  std::atomic<bool> cancel{false};
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  // F(60) naively is ~10^12 calls: hours, unless cancellation works.
  const auto result = fib_naive(60, cancel);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();

  EXPECT_EQ(result, std::nullopt);
  // A liveness bound, not a performance assertion.
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ComputeFib, DispatchesOnAlgorithm) {
  const std::atomic<bool> cancel{false};
  EXPECT_EQ(compute_fib(Algorithm::Fast, 93, cancel), "12200160415121876738");
  EXPECT_EQ(compute_fib(Algorithm::Fast, 100000, cancel), fib_fast(100000));
  EXPECT_EQ(compute_fib(Algorithm::Naive, 25, cancel), "75025");
  EXPECT_EQ(compute_fib(Algorithm::Naive, 25, cancel),
            compute_fib(Algorithm::Fast, 25, cancel));
}

TEST(ComputeFib, CancelledBeforeStart) {
  const std::atomic<bool> cancel{true};
  EXPECT_EQ(compute_fib(Algorithm::Fast, 1000, cancel), std::nullopt);
  EXPECT_EQ(compute_fib(Algorithm::Naive, 40, cancel), std::nullopt);
}

TEST(Mpz, DecimalConversion) {
  EXPECT_EQ(Mpz().to_decimal(), "0");
  EXPECT_EQ(Mpz(12345).to_decimal(), "12345");
  Mpz negative;
  mpz_set_si(negative.get(), -42);
  EXPECT_EQ(negative.to_decimal(), "-42");
}

}  // namespace
}  // namespace fibd
