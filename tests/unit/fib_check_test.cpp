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

#include "compute/check_moduli.h"
#include "compute/fib.h"
#include "compute/verified_values.h"

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

// The decimal `digits` modulo m, by GMP, as a decimal string.
std::string gmp_mod(const std::string& digits, std::uint64_t m) {
  mpz_t value, modulus;
  mpz_init_set_str(value, digits.empty() ? "0" : digits.c_str(), 10);
  mpz_init_set_str(modulus, std::to_string(m).c_str(), 10);
  mpz_mod(value, value, modulus);
  std::string out(mpz_sizeinbase(value, 10) + 2, '\0');
  mpz_get_str(out.data(), 10, value);
  out.resize(std::strlen(out.c_str()));
  mpz_clear(value);
  mpz_clear(modulus);
  return out;
}

// Fixed moduli, so that a failure can be replayed.
CheckModuli fixed_moduli() {
  return CheckModuli{
      {check_prime_from((1ULL << 61) + 12345), check_prime_from(3ULL << 60)}};
}

TEST(CheckModuli, PrimalityAgreesWithGmp) {
  std::mt19937_64 random(20261207);
  for (std::uint64_t n : {0ULL, 1ULL, 2ULL, 3ULL, 4ULL, 37ULL, 41ULL, 561ULL,
                          (1ULL << 61) - 1, 3215031751ULL, 3825123056546413051ULL,
                          18446744073709551557ULL, 18446744073709551615ULL}) {
    mpz_t z;
    mpz_init_set_str(z, std::to_string(n).c_str(), 10);
    EXPECT_EQ(is_prime_u64(n), mpz_probab_prime_p(z, 40) != 0) << n;
    mpz_clear(z);
  }
  int primes = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t n = random() | 1;
    mpz_t z;
    mpz_init_set_str(z, std::to_string(n).c_str(), 10);
    const bool prime = is_prime_u64(n);
    ASSERT_EQ(prime, mpz_probab_prime_p(z, 40) != 0) << n;
    primes += prime;
    mpz_clear(z);
  }
  EXPECT_GT(primes, 100);  // about 20000 * 2 / ln(2^64) = 900
}

TEST(CheckModuli, DrawnAtRandomInRange) {
  const CheckModuli a = draw_check_moduli(), b = draw_check_moduli();
  for (const CheckModuli* m : {&a, &b, &process_check_moduli()}) {
    EXPECT_NE(m->primes[0].p, m->primes[1].p);
    for (const CheckPrime& prime : m->primes) {
      EXPECT_TRUE(is_prime_u64(prime.p));
      EXPECT_GE(prime.p, 1ULL << 61);
      EXPECT_LT(prime.p, 1ULL << 62);
      for (std::size_t i = 0; i < prime.chunk_power.size(); ++i)
        EXPECT_EQ(std::to_string(prime.chunk_power[i]),
                  gmp_mod("1" + std::string(16 * i, '0'), prime.p));
    }
  }
  // Two draws sharing a prime: about 2^-50.
  EXPECT_NE(a.primes[0].p, b.primes[0].p);
  EXPECT_NE(a.primes[1].p, b.primes[1].p);
  EXPECT_THROW(check_prime_from(1ULL << 60), std::invalid_argument);
  EXPECT_THROW(check_prime_from(1ULL << 62), std::invalid_argument);
}

// Any decimal string, of any length (every split between the head, the
// chunks and the blocks), reduces to what GMP says.
TEST(DecimalResidues, AreTheValueModuloBoth) {
  std::mt19937_64 random(20261130);
  std::vector<std::size_t> lengths;
  for (std::size_t len = 0; len <= 600; ++len) lengths.push_back(len);
  for (std::size_t len : {1023, 1024, 1025, 4095, 4096, 4097, 208988, 2000000})
    lengths.push_back(len);
  for (const CheckModuli& moduli : {fixed_moduli(), process_check_moduli()}) {
    for (std::size_t len : lengths) {
      std::string digits(len, '0');
      for (char& c : digits) c = static_cast<char>('0' + random() % 10);
      if (len % 3 == 0) std::fill(digits.begin(), digits.end(), '9');  // the largest sums
      Residues r;
      ASSERT_TRUE(decimal_residues(digits, moduli, r)) << len;
      EXPECT_EQ(gmp_mod(digits, moduli.primes[0].p), std::to_string(r[0])) << len;
      EXPECT_EQ(gmp_mod(digits, moduli.primes[1].p), std::to_string(r[1])) << len;
    }
  }
}

TEST(DecimalResidues, RefuseEveryByteThatIsNotADigit) {
  const CheckModuli moduli = fixed_moduli();
  const std::string digits = fib_fast(5000);  // 1045 digits: a head, blocks, a tail
  Residues r;
  ASSERT_TRUE(decimal_residues(digits, moduli, r));
  EXPECT_EQ(r, fib_residues(5000, moduli));
  for (std::size_t at : {std::size_t{0}, std::size_t{4}, std::size_t{5}, std::size_t{20},
                         std::size_t{600}, digits.size() - 1}) {
    for (int c = 0; c < 256; ++c) {
      if (c >= '0' && c <= '9') continue;
      std::string bad = digits;
      bad[at] = static_cast<char>(c);
      EXPECT_FALSE(decimal_residues(bad, moduli, r)) << at << " " << c;
    }
  }
}

TEST(FibCheck, ResiduesAgreeWithTheDigits) {
  const CheckModuli moduli = fixed_moduli();
  for (std::uint64_t n = 0; n <= 20000; n += 7) {
    Residues r;
    ASSERT_TRUE(decimal_residues(fib_fast(n), moduli, r));
    EXPECT_EQ(r, fib_residues(n, moduli)) << "n = " << n;
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

// F(n) + k * m for any public m passes any check modulo a divisor of m, and
// a digit swap 32 places apart keeps the value modulo 10^32 - 1: both passed
// the earlier public fingerprint. Neither passes a secret modulus.
std::string add(const std::string& a, const std::string& b) {
  mpz_t x, y;
  mpz_init_set_str(x, a.c_str(), 10);
  mpz_init_set_str(y, b.c_str(), 10);
  mpz_add(x, x, y);
  std::string out(mpz_sizeinbase(x, 10) + 2, '\0');
  mpz_get_str(out.data(), 10, x);
  out.resize(std::strlen(out.c_str()));
  mpz_clear(x);
  mpz_clear(y);
  return out;
}

TEST(FibCheck, RefusesForgeriesMadeFromThisSource) {
  for (std::uint64_t n : {1000ULL, 100000ULL, 1000000ULL}) {
    const std::string f = fib_fast(n);
    std::vector<std::string> forgeries;
    std::string swapped = f;  // digits 32 apart swapped
    std::size_t at = 10;
    while (f[at] == f[at + 32]) ++at;
    std::swap(swapped[at], swapped[at + 32]);
    forgeries.push_back(swapped);
    forgeries.push_back(add(f, std::string(32, '9')));  // + 10^32 - 1
    forgeries.push_back(add(f, "9999999999999999"));    // + 10^16 - 1
    forgeries.push_back(add(f, "10000000000000001"));   // + 10^16 + 1
    // + a multiple of the primes of another process (moduli it could learn).
    const CheckModuli other = fixed_moduli();
    std::string product;
    {
      mpz_t a, b;
      mpz_init_set_str(a, std::to_string(other.primes[0].p).c_str(), 10);
      mpz_init_set_str(b, std::to_string(other.primes[1].p).c_str(), 10);
      mpz_mul(a, a, b);
      product.resize(mpz_sizeinbase(a, 10) + 2);
      mpz_get_str(product.data(), 10, a);
      product.resize(std::strlen(product.c_str()));
      mpz_clear(a);
      mpz_clear(b);
    }
    const std::string known = add(f, product);
    ASSERT_EQ(check_fib_value(n, known, other), FibCheck::Ok) << "the forgery is sound";
    forgeries.push_back(known);
    for (const std::string& forged : forgeries) {
      ASSERT_EQ(forged.size(), f.size());
      ASSERT_NE(forged, f);
      EXPECT_EQ(check_fib_value(n, forged), FibCheck::WrongValue) << "n = " << n;
      EXPECT_EQ(check_fib_value(n, forged, draw_check_moduli()), FibCheck::WrongValue);
    }
    // Remembered once verified, the true value still is the only one.
    EXPECT_EQ(check_fib_value(n, f), FibCheck::Ok);
    EXPECT_EQ(check_fib_value(n, f), FibCheck::Ok);
    for (const std::string& forged : forgeries)
      EXPECT_EQ(check_fib_value(n, forged), FibCheck::WrongValue) << "n = " << n;
  }
}

TEST(VerifiedValues, KeepsExactBytesWithinBudget) {
  VerifiedValues values(4, 10);
  EXPECT_FALSE(values.worth_keeping("123"));
  EXPECT_FALSE(values.worth_keeping("12345678901"));
  EXPECT_EQ(values.remember(1, "123"), nullptr);  // too small: not kept
  EXPECT_EQ(values.find(1, "123"), nullptr);
  const auto kept = values.remember(2, "12345");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(*kept, "12345");
  EXPECT_EQ(values.find(2, "12345"), kept);  // the same copy, shared
  EXPECT_EQ(values.find(2, "12346"), nullptr);
  EXPECT_EQ(values.find(2, "1234"), nullptr);
  EXPECT_EQ(values.find(3, "12345"), nullptr);
  // n has one value: the first stays, and is what serves.
  EXPECT_EQ(values.remember(2, "99999"), kept);
  EXPECT_EQ(values.find(2, "99999"), nullptr);
  values.remember(3, "abcd");
  EXPECT_EQ(values.bytes(), 9u);
  values.remember(4, "wxyz");  // over budget: the oldest goes
  EXPECT_EQ(values.find(2, "12345"), nullptr);
  EXPECT_EQ(*kept, "12345");  // still whole for an answer that holds it
  EXPECT_NE(values.find(3, "abcd"), nullptr);
  EXPECT_NE(values.find(4, "wxyz"), nullptr);
  EXPECT_EQ(values.bytes(), 8u);
}

TEST(FibCheck, AnAcceptedLargeValueComesBackAsTheRememberedCopy) {
  const std::uint64_t n = 60000;  // 12,540 digits: remembered
  const std::string f = fib_fast(n);
  std::shared_ptr<const std::string> kept;
  ASSERT_EQ(check_fib_value(n, f, &kept), FibCheck::Ok);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(*kept, f);
  std::shared_ptr<const std::string> again;
  ASSERT_EQ(check_fib_value(n, f, &again), FibCheck::Ok);
  EXPECT_EQ(again, kept);
  std::string forged = f;
  std::size_t i = 100;
  while (forged[i] == forged[i + 32]) ++i;
  std::swap(forged[i], forged[i + 32]);  // digits 32 apart swapped
  ASSERT_NE(forged, f);
  std::shared_ptr<const std::string> none;
  EXPECT_EQ(check_fib_value(n, forged, &none), FibCheck::WrongValue);
  EXPECT_EQ(none, nullptr);
  std::shared_ptr<const std::string> small;
  EXPECT_EQ(check_fib_value(90, "2880067194370816120", &small), FibCheck::Ok);
  EXPECT_EQ(small, nullptr);  // too small to keep: answered from the cache's bytes
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
    const CheckModuli& moduli = process_check_moduli();
    const int rounds = n < 1000 ? 20000 : 50;
    double best = 1e300;  // microseconds per check, best of 5 batches (shared machines)
    for (int batch = 0; batch < 5; ++batch) {
      const auto start = std::chrono::steady_clock::now();
      int ok = 0;
      for (int i = 0; i < rounds; ++i)
        ok += check_fib_value(n, digits, moduli) == FibCheck::Ok;
      const std::chrono::duration<double, std::micro> took =
          std::chrono::steady_clock::now() - start;
      EXPECT_EQ(ok, rounds);
      best = std::min(best, took.count() / rounds);
    }
    const auto again = std::chrono::steady_clock::now();
    int ok = 0;
    for (int i = 0; i < rounds; ++i) ok += check_fib_value(n, digits) == FibCheck::Ok;
    EXPECT_EQ(ok, rounds);
    const std::chrono::duration<double, std::micro> remembered =
        std::chrono::steady_clock::now() - again;
    std::printf(
        "check_fib_value(F(%llu), %zu digits): %.3f us in full, %.3f us when "
        "remembered\n",
        static_cast<unsigned long long>(n), digits.size(), best,
        remembered.count() / rounds);
  }
}

}  // namespace
}  // namespace fibd
