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
constexpr std::uint64_t kP = kFingerprintPrime;

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

std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint64_t>(static_cast<u128>(a) * b % kP);
}

// Sixteen bytes as one vector (GCC vector extensions: SSE2 on x86-64, NEON
// on arm64, plain code elsewhere).
using Bytes16 = unsigned char __attribute__((vector_size(16)));
constexpr std::size_t kLanes = 16;
// 19 vectors: each lane position meets every weight class once.
constexpr std::size_t kRoundBytes = 19 * kLanes;
// Byte sums of digits (at most 9 each) stay below 256 for 28 rounds.
constexpr std::size_t kRoundsPerFlush = 28;

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

std::uint64_t fib_fingerprint(std::uint64_t n) {
  std::uint64_t a = 0, b = 1;  // F(k), F(k+1), k the bits of n seen so far
  for (int bit = 63 - std::countl_zero(n | 1); bit >= 0; --bit) {
    const std::uint64_t c = mul_mod(a, (2 * b + kP - a) % kP);     // F(2k)
    const std::uint64_t d = (mul_mod(a, a) + mul_mod(b, b)) % kP;  // F(2k+1)
    if ((n >> bit) & 1) {
      a = d;
      b = (c + d) % kP;
    } else {
      a = c;
      b = d;
    }
  }
  return n == 0 ? 0 : a;
}

bool decimal_fingerprint(std::string_view digits, std::uint64_t& out) {
  // The digit with place value 10^e counts d * 10^(e mod 19), since
  // 10^19 = 1 (mod R19): sum the digits of each of the 19 weight classes,
  // then weigh the 19 sums once. The bulk is summed 16 bytes at a time with
  // no multiplication; which class a lane holds repeats every 19 vectors.
  const std::size_t len = digits.size();
  const auto* p = reinterpret_cast<const unsigned char*>(digits.data());
  std::array<std::uint64_t, 19> sums{};
  const unsigned top =
      len == 0 ? 0 : static_cast<unsigned>((len - 1) % 19);  // class of p[0]
  auto class_of = [top](std::size_t offset) {  // offset from a round's start
    return (top + 19 - static_cast<unsigned>(offset % 19)) % 19;
  };
  std::size_t i = 0;
  std::size_t rounds = len / kRoundBytes;
  if (rounds > 0) {
    std::array<unsigned char, kRoundBytes> lane_class;
    for (std::size_t k = 0; k < kRoundBytes; ++k)
      lane_class[k] = static_cast<unsigned char>(class_of(k));
    Bytes16 zero_char;
    for (std::size_t j = 0; j < kLanes; ++j) zero_char[j] = '0';
    Bytes16 largest = {};  // of every digit seen, per lane
    while (rounds > 0) {
      const std::size_t batch = std::min(rounds, kRoundsPerFlush);
      Bytes16 acc[19] = {};
      for (std::size_t r = 0; r < batch; ++r, i += kRoundBytes) {
#pragma GCC unroll 19
        for (std::size_t t = 0; t < 19; ++t) {
          Bytes16 v;
          std::memcpy(&v, p + i + t * kLanes, kLanes);
          v -= zero_char;  // a byte below '0' wraps to 0xd0..0xff: over 9 too
          largest = v > largest ? v : largest;
          acc[t] += v;
        }
      }
      for (std::size_t t = 0; t < 19; ++t) {
        for (std::size_t j = 0; j < kLanes; ++j)
          sums[lane_class[t * kLanes + j]] += acc[t][j];
      }
      rounds -= batch;
    }
    for (std::size_t j = 0; j < kLanes; ++j) {
      if (largest[j] > 9) return false;
    }
  }
  for (; i < len; ++i) {  // the last < 304 digits
    const unsigned d = p[i] - unsigned{'0'};
    if (d > 9) return false;
    sums[class_of(i)] +=
        d;  // i - (the bulk's length, a multiple of 19) has the same class
  }
  u128 total = 0;
  std::uint64_t power = 1;  // 10^k
  for (unsigned k = 0; k < 19; ++k, power *= 10) {
    total += static_cast<u128>(sums[k] % kP) * power;
  }
  out = static_cast<std::uint64_t>(total % kP);
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
  std::uint64_t fingerprint = 0;
  if (!decimal_fingerprint(value, fingerprint)) return FibCheck::NotDigits;
  return fingerprint == fib_fingerprint(n) ? FibCheck::Ok : FibCheck::WrongValue;
}

}  // namespace fibd
