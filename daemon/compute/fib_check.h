// Whether a value that came back from a cache is F(n), without computing
// F(n): a value from a cache is untrusted input (another client of a shared
// Redis, a buggy plugin), so it is served only if it passes every test here.
//
// The tests, cheapest first: the exact number of decimal digits of F(n)
// (from n*log10(phi), exact tie-break with GMP in the rare case the estimate
// is too close to an integer to trust), no leading zero, decimal digits only,
// and an arithmetic fingerprint: the value modulo the prime R19 =
// (10^19 - 1) / 9 against F(n) modulo R19 by fast doubling. F(n) up to F(93)
// fits in 64 bits and is compared exactly.
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

// The repunit prime (10^19 - 1) / 9 = 1111111111111111111: 10^19 = 1 modulo
// it, so a decimal string reduces with additions only.
inline constexpr std::uint64_t kFingerprintPrime = 1111111111111111111ULL;

// F(n) mod kFingerprintPrime by fast doubling (128-bit products).
std::uint64_t fib_fingerprint(std::uint64_t n);

// The decimal `digits` (all '0'..'9', else false) modulo kFingerprintPrime.
bool decimal_fingerprint(std::string_view digits, std::uint64_t& out);

}  // namespace fibd
