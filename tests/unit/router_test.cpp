#include "api/router.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "compute/cache_key.h"

namespace fibd {
namespace {

TEST(Route, ClassifiesPathsAndIgnoresQueries) {
  EXPECT_EQ(route("/fib/10").endpoint, Endpoint::Fib);
  EXPECT_EQ(route("/fib/10").n_text, "10");
  EXPECT_EQ(route("/fib/10?x=1").n_text, "10");
  EXPECT_EQ(route("/fib/10#frag").n_text, "10");
  EXPECT_EQ(route("/fib/").n_text, "");
  EXPECT_EQ(route("/fib/").endpoint, Endpoint::Fib);
  EXPECT_EQ(route("/healthz").endpoint, Endpoint::Healthz);
  EXPECT_EQ(route("/healthz?verbose").endpoint, Endpoint::Healthz);
  EXPECT_EQ(route("/metrics").endpoint, Endpoint::Metrics);
  for (const char* other : {"", "/", "/fib", "/fibx/1", "/healthz/", "/metrics/x",
                            "fib/1", "http://host/fib/1"}) {
    EXPECT_EQ(route(other).endpoint, Endpoint::NotFound) << other;
  }
}

TEST(ParseN, AcceptsPlainDecimalDigitsOnly) {
  std::uint64_t n = 99;
  EXPECT_EQ(parse_n("0", 10, n), ParseN::Ok);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(parse_n("010", 10, n), ParseN::Ok);
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(parse_n("0000000000000000000000000000007", 10, n), ParseN::Ok);
  EXPECT_EQ(n, 7u);
  for (const char* bad : {"", "abc", "-1", "+5", "1e3", "12x", "%00", " 1", "1 ", "0x10",
                          "1.0", "\xff", "1\n"}) {
    EXPECT_EQ(parse_n(bad, 1000, n), ParseN::Invalid) << bad;
  }
}

TEST(ParseN, NamesValuesOverTheLimitTooLarge) {
  std::uint64_t n = 0;
  EXPECT_EQ(parse_n("11", 10, n), ParseN::TooLarge);
  EXPECT_EQ(parse_n("18446744073709551615", std::numeric_limits<std::uint64_t>::max(), n),
            ParseN::Ok);
  EXPECT_EQ(parse_n("18446744073709551616", std::numeric_limits<std::uint64_t>::max(), n),
            ParseN::TooLarge);
  EXPECT_EQ(parse_n("123456789012345678901234567890", 1000000, n), ParseN::TooLarge);
}

TEST(CacheKey, IsCanonicalDecimal) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  ASSERT_EQ(parse_n("010", 100, a), ParseN::Ok);
  ASSERT_EQ(parse_n("10", 100, b), ParseN::Ok);
  EXPECT_EQ(cache_key(a), cache_key(b));
  EXPECT_EQ(cache_key(10), "10");
}

}  // namespace
}  // namespace fibd
