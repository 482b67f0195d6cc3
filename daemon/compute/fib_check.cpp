#include "compute/fib_check.h"

#include <gmp.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>

#include "compute/verified_values.h"

namespace fibd {

namespace {

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

// F(n) modulo m (below 2^63) by fast doubling.
std::uint64_t fib_mod(std::uint64_t n, std::uint64_t m) {
  std::uint64_t a = 0, b = 1;  // F(k), F(k+1), k the bits of n seen so far
  for (int bit = 63 - std::countl_zero(n | 1); bit >= 0; --bit) {
    const std::uint64_t c = mul_mod_u64(a, (2 * b + m - a) % m, m);             // F(2k)
    const std::uint64_t d = (mul_mod_u64(a, a, m) + mul_mod_u64(b, b, m)) % m;  // F(2k+1)
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

// Values at least this long are remembered once verified (a full check of
// them costs a few microseconds and more), 2 MiB of them at most.
constexpr std::size_t kRememberFrom = 8192;
constexpr std::size_t kRememberBudget = 2 << 20;

VerifiedValues& verified_values() {
  static VerifiedValues values(kRememberFrom, kRememberBudget);
  return values;
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

Residues fib_residues(std::uint64_t n, const CheckModuli& moduli) {
  return {fib_mod(n, moduli.primes[0].p), fib_mod(n, moduli.primes[1].p)};
}

FibCheck check_fib_value(std::uint64_t n, std::string_view value,
                         const CheckModuli& moduli) {
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
  Residues residues;
  if (!decimal_residues(value, moduli, residues)) return FibCheck::NotDigits;
  return residues == fib_residues(n, moduli) ? FibCheck::Ok : FibCheck::WrongValue;
}

FibCheck check_fib_value(std::uint64_t n, std::string_view value,
                         std::shared_ptr<const std::string>* kept) {
  VerifiedValues& verified = verified_values();
  const bool keep = verified.worth_keeping(value);
  if (keep) {
    if (auto same = verified.find(n, value)) {
      if (kept != nullptr) *kept = std::move(same);
      return FibCheck::Ok;
    }
  }
  const FibCheck verdict = check_fib_value(n, value, process_check_moduli());
  if (keep && verdict == FibCheck::Ok) {
    auto copy = verified.remember(n, value);
    if (kept != nullptr) *kept = std::move(copy);
  }
  return verdict;
}

void prepare_fib_check() { (void)process_check_moduli(); }

}  // namespace fibd
