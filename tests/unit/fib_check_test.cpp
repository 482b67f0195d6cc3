#include "compute/fib_check.h"

#include <gmp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compute/fib.h"

namespace fibd {
namespace {

// F(n) by the fast algorithm, never cancelled.
std::string fib_fast(std::uint64_t n) {
  const std::atomic<bool> never{false};
  return compute_fib(Algorithm::Fast, n, never).value();
}

TEST(FibCheck, DigitCountIsExact) {
  for (std::uint64_t n = 0; n <= 3000; ++n) {
    ASSERT_EQ(fib_decimal_digits(n), fib_fast(n).size()) << "n = " << n;
  }
  for (std::uint64_t n :
       {10000ULL, 99999ULL, 123457ULL, 500000ULL, 999999ULL, 1000000ULL}) {
    EXPECT_EQ(fib_decimal_digits(n), fib_fast(n).size()) << "n = " << n;
  }
}

TEST(FibCheck, FingerprintsAgree) {
  for (std::uint64_t n = 0; n <= 20000; n += 7) {
    const std::string digits = fib_fast(n);
    Fingerprint from_digits;
    ASSERT_TRUE(decimal_fingerprint(digits, from_digits));
    EXPECT_EQ(from_digits, fib_fingerprint(n)) << "n = " << n;
  }
  Fingerprint v;
  ASSERT_TRUE(decimal_fingerprint("9999999999999999", v));  // 10^16 - 1
  EXPECT_EQ(v.below, 0u);
  EXPECT_EQ(v.above, kFingerprintAbove - 2);
  ASSERT_TRUE(decimal_fingerprint("10000000000000001", v));  // 10^16 + 1
  EXPECT_EQ(v.below, 2u);
  EXPECT_EQ(v.above, 0u);
  ASSERT_TRUE(decimal_fingerprint("", v));
  EXPECT_EQ(v, Fingerprint{});
  EXPECT_FALSE(decimal_fingerprint("12345678x", v));
  EXPECT_FALSE(decimal_fingerprint("1234567/12345678", v));
  EXPECT_FALSE(decimal_fingerprint("1234567:12345678", v));
  // Long enough for the vector path, with a bad byte in it and in the tail.
  std::string long_digits = fib_fast(5000);
  ASSERT_TRUE(decimal_fingerprint(long_digits, v));
  EXPECT_EQ(v, fib_fingerprint(5000));
  for (std::size_t at :
       {std::size_t{0}, std::size_t{17}, std::size_t{600}, long_digits.size() - 1}) {
    for (char c : {'/', ':', '\0', '\xff', 'a'}) {
      std::string bad = long_digits;
      bad[at] = c;
      EXPECT_FALSE(decimal_fingerprint(bad, v)) << at << " " << int(c);
    }
  }
}

// Any decimal string, of any length (every split between the vector loop,
// its batches and the tail), reduces to what GMP says.
TEST(FibCheck, FingerprintIsTheValueModuloBoth) {
  std::mt19937_64 random(20261130);
  // The decimal `digits` modulo m, by GMP.
  auto gmp_mod = [](const std::string& digits, std::uint64_t m) {
    mpz_t value, modulus;
    mpz_init_set_str(value, digits.c_str(), 10);
    mpz_init_set_str(modulus, std::to_string(m).c_str(), 10);
    mpz_mod(value, value, modulus);
    std::string out(mpz_sizeinbase(value, 10) + 2, '\0');
    mpz_get_str(out.data(), 10, value);
    out.resize(std::strlen(out.c_str()));
    mpz_clear(value);
    mpz_clear(modulus);
    return out;
  };
  std::vector<std::size_t> lengths;
  for (std::size_t len = 1; len <= 300; ++len) lengths.push_back(len);
  for (std::size_t len :
       {1791, 1792, 1793, 4095, 4096, 4097, 456959, 456960, 456961, 2000000})
    lengths.push_back(len);
  for (std::size_t len : lengths) {
    std::string digits(len, '0');
    for (char& c : digits) c = static_cast<char>('0' + random() % 10);
    if (len % 3 == 0) std::fill(digits.begin(), digits.end(), '9');  // the largest sums
    Fingerprint v;
    ASSERT_TRUE(decimal_fingerprint(digits, v)) << len;
    EXPECT_EQ(gmp_mod(digits, kFingerprintBelow), std::to_string(v.below)) << len;
    EXPECT_EQ(gmp_mod(digits, kFingerprintAbove), std::to_string(v.above)) << len;
  }
}

TEST(FibCheck, AcceptsEveryTrueValue) {
  for (std::uint64_t n = 0; n <= 1500; ++n) {
    ASSERT_EQ(check_fib_value(n, fib_fast(n)), FibCheck::Ok) << "n = " << n;
  }
  EXPECT_EQ(check_fib_value(1000000, fib_fast(1000000)), FibCheck::Ok);
}

TEST(FibCheck, RefusesHostileValues) {
  const std::string f90 = "2880067194370816120";
  EXPECT_EQ(check_fib_value(90, "2880067194370816121"), FibCheck::WrongValue);
  EXPECT_EQ(check_fib_value(90, ""), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(90, "1,\"admin\":true"), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(14, "1,\"admin\":tr"), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(90, "28800671943708161,0"), FibCheck::NotDigits);
  EXPECT_EQ(check_fib_value(90, std::string("288006719437081612\0", 19)),
            FibCheck::NotDigits);
  EXPECT_EQ(check_fib_value(90, "0" + f90), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(90, "0" + f90.substr(1)), FibCheck::LeadingZero);
  EXPECT_EQ(check_fib_value(90, std::string(4 << 20, '7')), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(0, "00"), FibCheck::WrongLength);
  EXPECT_EQ(check_fib_value(0, "1"), FibCheck::WrongValue);
  // 20 digits that wrap around 2^64 onto F(93).
  EXPECT_EQ(check_fib_value(93, "30646904488831428354"), FibCheck::WrongValue);

  std::string big = fib_fast(100000);
  std::string swapped = big;
  std::size_t at = 100;
  while (big[at] == big[at + 1]) ++at;
  std::swap(swapped[at], swapped[at + 1]);
  ASSERT_TRUE(swapped != big);
  EXPECT_EQ(check_fib_value(100000, swapped), FibCheck::WrongValue);
  std::string one_off = big;
  one_off[5000] = one_off[5000] == '9' ? '8' : static_cast<char>(one_off[5000] + 1);
  EXPECT_EQ(check_fib_value(100000, one_off), FibCheck::WrongValue);
  std::string binary = big;
  binary[20000] = '\xff';
  EXPECT_EQ(check_fib_value(100000, binary), FibCheck::NotDigits);
  std::string not_digit = big;
  not_digit[big.size() - 1] = ' ';
  EXPECT_EQ(check_fib_value(100000, not_digit), FibCheck::NotDigits);
}

TEST(FibCheck, ReasonsAreMetricLabels) {
  EXPECT_STREQ(fib_check_reason(FibCheck::Ok), "ok");
  EXPECT_STREQ(fib_check_reason(FibCheck::WrongLength), "wrong_length");
  EXPECT_STREQ(fib_check_reason(FibCheck::LeadingZero), "leading_zero");
  EXPECT_STREQ(fib_check_reason(FibCheck::NotDigits), "not_digits");
  EXPECT_STREQ(fib_check_reason(FibCheck::WrongValue), "wrong_value");
}

// Not an assertion: what a check costs, for docs/performance.md (`make
// bench` measures it end to end).
TEST(FibCheck, CostPrinted) {
  for (std::uint64_t n : {90ULL, 1000000ULL}) {
    const std::string digits = fib_fast(n);
    const int rounds = n < 1000 ? 20000 : 50;
    double best = 1e300;  // microseconds per check, best of 5 batches (shared machines)
    for (int batch = 0; batch < 5; ++batch) {
      const auto start = std::chrono::steady_clock::now();
      int ok = 0;
      for (int i = 0; i < rounds; ++i) ok += check_fib_value(n, digits) == FibCheck::Ok;
      const std::chrono::duration<double, std::micro> took =
          std::chrono::steady_clock::now() - start;
      EXPECT_EQ(ok, rounds);
      best = std::min(best, took.count() / rounds);
    }
    std::printf("check_fib_value(F(%llu), %zu digits): %.3f us\n",
                static_cast<unsigned long long>(n), digits.size(), best);
  }
}

}  // namespace
}  // namespace fibd
