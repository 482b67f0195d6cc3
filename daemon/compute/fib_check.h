// Whether a value that came back from a cache is F(n), without computing
// F(n): a value from a cache is untrusted input (another client of a shared
// Redis, a buggy plugin), so it is served only if it passes every test here.
//
// The tests, cheapest first: the exact number of decimal digits of F(n)
// (from n*log10(phi), exact tie-break with GMP in the rare case the estimate
// is too close to an integer to trust), no leading zero, decimal digits only,
// and an arithmetic fingerprint: the value modulo 10^32 - 1, kept as its
// residues modulo 10^16 - 1 and 10^16 + 1 (about 106 bits together),
// against F(n) modulo the same two numbers by fast doubling. F(n) up to
// F(93) fits in 64 bits and is compared exactly.
//
// Why 10^32 - 1: since 10^32 = 1 modulo it, a decimal string reduces by
// summing the digits of each of 32 place-value classes, which are the byte
// positions modulo 32: two 16-byte vectors hold one digit of each class, so the bulk is
// byte additions and a running maximum, close to the speed of reading the value once
// (docs/performance.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fibd {

enum class FibCheck { Ok, WrongLength, LeadingZero, NotDigits, WrongValue };

// Metric label / log word for a verdict: "ok", "wrong_length", ...
const char* fib_check_reason(FibCheck verdict);

FibCheck check_fib_value(std::uint64_t n, std::string_view value);

// The number of decimal digits of F(n) (F(0) = "0" has one).
std::size_t fib_decimal_digits(std::uint64_t n);

inline constexpr std::uint64_t kFingerprintBelow = 9'999'999'999'999'999ULL;  // 10^16 - 1
inline constexpr std::uint64_t kFingerprintAbove =
    10'000'000'000'000'001ULL;  // 10^16 + 1

// A number modulo 10^16 - 1 and modulo 10^16 + 1.
struct Fingerprint {
  std::uint64_t below = 0;
  std::uint64_t above = 0;
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// F(n)'s fingerprint by fast doubling (128-bit products).
Fingerprint fib_fingerprint(std::uint64_t n);

// The decimal `digits`' fingerprint; false if any byte is not '0'..'9'.
bool decimal_fingerprint(std::string_view digits, Fingerprint& out);

}  // namespace fibd
