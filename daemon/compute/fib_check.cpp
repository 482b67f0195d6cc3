#include "compute/fib_check.h"

#include <gmp.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace fibd {

namespace {

using u128 = unsigned __int128;

// F(0) .. F(93), the ones that fit in 64 bits: compared exactly.
constexpr std::uint64_t kSmallMax = 93;
constexpr std::array<std::uint64_t, kSmallMax + 1> small_fibs() {
  std::array<std::uint64_t, kSmallMax + 1> f{};
  f[1] = 1;
  for (std::size_t i = 2; i < f.size(); ++i) f[i] = f[i - 1] + f[i - 2];
  return f;
}
constexpr auto kSmall = small_fibs();

std::size_t decimal_length(std::uint64_t v) {
  char buf[24];
  return static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
}

// Exact, with GMP: only for the n whose estimate is within 1e-9 of a digit
// boundary (none below 10^6; a handful up to fib.max_n's limit at most).
std::size_t exact_digits(std::uint64_t n) {
  mpz_t f, bound;
  mpz_init(f);
  mpz_init(bound);
  mpz_fib_ui(f, static_cast<unsigned long>(n));
  std::size_t digits = mpz_sizeinbase(f, 10);  // exact or one too many
  mpz_ui_pow_ui(bound, 10, static_cast<unsigned long>(digits - 1));
  if (mpz_cmp(f, bound) < 0) --digits;
  mpz_clear(f);
  mpz_clear(bound);
  return digits;
}

std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b, std::uint64_t m) {
  return static_cast<std::uint64_t>(static_cast<u128>(a) * b % m);
}

// F(n) modulo m (below 2^63) by fast doubling.
std::uint64_t fib_mod(std::uint64_t n, std::uint64_t m) {
  std::uint64_t a = 0, b = 1;  // F(k), F(k+1), k the bits of n seen so far
  for (int bit = 63 - std::countl_zero(n | 1); bit >= 0; --bit) {
    const std::uint64_t c = mul_mod(a, (2 * b + m - a) % m, m);         // F(2k)
    const std::uint64_t d = (mul_mod(a, a, m) + mul_mod(b, b, m)) % m;  // F(2k+1)
    if ((n >> bit) & 1) {
      a = d;
      b = (c + d) % m;
    } else {
      a = c;
      b = d;
    }
  }
  return n == 0 ? 0 : a;
}

constexpr std::size_t kPeriod = 32;  // place-value classes: 10^32 = 1 (mod 10^32 - 1)
using PositionSums =
    std::array<std::uint64_t, kPeriod>;  // digit sums by byte position mod 32

// Sixteen bytes as one vector, and sixteen 16-bit lanes (GCC vector
// extensions: SSE2 on x86-64, NEON on arm64, plain code elsewhere). Wider
// vectors (AVX2) measured no faster: the loop runs at the speed of reading.
using Bytes16 = unsigned char __attribute__((vector_size(16)));
using Shorts16 = std::uint16_t __attribute__((vector_size(32)));
constexpr std::size_t kWidth = sizeof(Bytes16);
constexpr std::size_t kStep =
    4 * kWidth;                        // 64 bytes: two periods, lanes keep their class
constexpr std::size_t kMaxSteps = 28;  // byte sums of digits (<= 9) stay below 256
constexpr unsigned kMaxBatches = 255;  // 16-bit sums of batches stay below 65536

// Adds the digits of p[0..len) to sums by byte position modulo 32 and
// returns whether every byte is a digit.
bool sum_digits(const unsigned char* p, std::size_t len, PositionSums& sums) {
  Bytes16 zero_char;
  for (std::size_t j = 0; j < kWidth; ++j) zero_char[j] = '0';
  Bytes16 largest =
      {};  // of every byte minus '0', per lane: a byte below '0' wraps above 9
  Shorts16 wide[4] = {};
  unsigned batches = 0;
  auto drain = [&] {
    for (std::size_t k = 0; k < 4; ++k) {
      for (std::size_t j = 0; j < kWidth; ++j)
        sums[(k * kWidth + j) % kPeriod] += wide[k][j];
      wide[k] = Shorts16{};
    }
    batches = 0;
  };
  std::size_t i = 0;
  while (len - i >= kStep) {
    const std::size_t end = i + std::min((len - i) / kStep, kMaxSteps) * kStep;
    Bytes16 acc[4] = {};
    for (; i < end; i += kStep) {
#pragma GCC unroll 4
      for (std::size_t k = 0; k < 4; ++k) {
        Bytes16 v;
        std::memcpy(&v, p + i + k * kWidth, kWidth);
        v -= zero_char;
        largest = v > largest ? v : largest;
        acc[k] += v;
      }
    }
    // Widened once a batch, so the 64-bit sums are touched once at the end.
    for (std::size_t k = 0; k < 4; ++k)
      wide[k] += __builtin_convertvector(acc[k], Shorts16);
    if (++batches == kMaxBatches) drain();
  }
  drain();
  for (std::size_t j = 0; j < kWidth; ++j) {
    if (largest[j] > 9) return false;
  }
  for (; i < len; ++i) {  // the last < 64 bytes
    const unsigned d = p[i] - unsigned{'0'};
    if (d > 9) return false;
    sums[i % kPeriod] += d;
  }
  return true;
}

// The fingerprint of a decimal string of `len` digits from its position sums.
Fingerprint weigh(const PositionSums& sums, std::size_t len) {
  if (len == 0) return {};
  // The digit at position i has place value 10^(len-1-i): its class is
  // (len - 1 - i) mod 32. Modulo 10^16 - 1, 10^c = 10^(c mod 16); modulo
  // 10^16 + 1, 10^c = 10^c below 16 and -10^(c-16) from 16 on.
  const std::size_t last = (len - 1) % kPeriod;
  u128 below = 0, above = 0;
  std::uint64_t power = 1;  // 10^(c mod 16)
  for (std::size_t c = 0; c < kPeriod; ++c, power = c % 16 == 0 ? 1 : power * 10) {
    const std::uint64_t s = sums[(last + kPeriod - c) % kPeriod];
    below += static_cast<u128>(s % kFingerprintBelow) * power;
    const u128 term = static_cast<u128>(s % kFingerprintAbove) * power;
    above +=
        c < 16 ? term
               : static_cast<u128>(kFingerprintAbove) * power - term % kFingerprintAbove;
  }
  return {static_cast<std::uint64_t>(below % kFingerprintBelow),
          static_cast<std::uint64_t>(above % kFingerprintAbove)};
}

}  // namespace

const char* fib_check_reason(FibCheck verdict) {
  switch (verdict) {
    case FibCheck::Ok:
      return "ok";
    case FibCheck::WrongLength:
      return "wrong_length";
    case FibCheck::LeadingZero:
      return "leading_zero";
    case FibCheck::NotDigits:
      return "not_digits";
    case FibCheck::WrongValue:
      return "wrong_value";
  }
  return "unknown";
}

std::size_t fib_decimal_digits(std::uint64_t n) {
  if (n <= kSmallMax) return decimal_length(kSmall[n]);
  // F(n) = round(phi^n / sqrt5), and for n > 93 the rounding is far below
  // the precision here, so digits = floor(n log10(phi) - log10(sqrt5)) + 1.
  constexpr long double kLog10Phi = 0.20898764024997873376927208923755541682L;
  constexpr long double kLog10Sqrt5 = 0.34948500216800940239313055263775176L;
  const long double x = static_cast<long double>(n) * kLog10Phi - kLog10Sqrt5;
  const long double whole = std::floor(x);
  const long double frac = x - whole;
  if (frac < 1e-9L || frac > 1 - 1e-9L) return exact_digits(n);
  return static_cast<std::size_t>(whole) + 1;
}

Fingerprint fib_fingerprint(std::uint64_t n) {
  return {fib_mod(n, kFingerprintBelow), fib_mod(n, kFingerprintAbove)};
}

bool decimal_fingerprint(std::string_view digits, Fingerprint& out) {
  PositionSums sums{};
  if (!sum_digits(reinterpret_cast<const unsigned char*>(digits.data()), digits.size(),
                  sums))
    return false;
  out = weigh(sums, digits.size());
  return true;
}

FibCheck check_fib_value(std::uint64_t n, std::string_view value) {
  if (value.size() != fib_decimal_digits(n)) return FibCheck::WrongLength;
  if (value.size() > 1 && value[0] == '0') return FibCheck::LeadingZero;
  if (n <= kSmallMax) {
    std::uint64_t v = 0;
    for (char c : value) {
      const unsigned d = static_cast<unsigned char>(c) - '0';
      if (d > 9) return FibCheck::NotDigits;
      // 20 digits can exceed 2^64: a value that wraps around is not F(n).
      if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, d, &v)) {
        return FibCheck::WrongValue;
      }
    }
    return v == kSmall[n] ? FibCheck::Ok : FibCheck::WrongValue;
  }
  Fingerprint fingerprint;
  if (!decimal_fingerprint(value, fingerprint)) return FibCheck::NotDigits;
  return fingerprint == fib_fingerprint(n) ? FibCheck::Ok : FibCheck::WrongValue;
}

}  // namespace fibd
