// Whether a value that came back from a cache is F(n), without computing
// F(n): a value from a cache is untrusted input (another client of a shared
// Redis, a buggy plugin, a writer who has read this source), so it is served
// only if it passes every test here.
//
// The tests, cheapest first: the exact number of decimal digits of F(n)
// (from n*log10(phi), exact tie-break with GMP in the rare case the estimate
// is too close to an integer to trust), no leading zero, decimal digits only,
// and the value modulo two primes between 2^61 and 2^62 that each process
// draws at random when it starts (compute/check_moduli.h), against F(n)
// modulo the same primes by fast doubling. F(n) up to F(93) fits in 64 bits
// and is compared exactly. A wrong value passes only if both secret primes
// divide its difference from F(n): docs/security.md gives the bound.
//
// A large value that passed is remembered (compute/verified_values.h), so the
// same bytes again cost a memcmp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compute/decimal_residue.h"

namespace fibd {

enum class FibCheck { Ok, WrongLength, LeadingZero, NotDigits, WrongValue };

// Metric label / log word for a verdict: "ok", "wrong_length", ...
const char* fib_check_reason(FibCheck verdict);

// With this process's secret moduli, and its memory of verified values.
// When `kept` is given and the verdict is Ok, it is set to the remembered
// copy of these very bytes, or null if a value this small is not kept.
FibCheck check_fib_value(std::uint64_t n, std::string_view value,
                         std::shared_ptr<const std::string>* kept = nullptr);

// With the given moduli and no memory: for tests.
FibCheck check_fib_value(std::uint64_t n, std::string_view value,
                         const CheckModuli& moduli);

// Draws this process's moduli now (fibd does at start-up, not on a request).
void prepare_fib_check();

// The number of decimal digits of F(n) (F(0) = "0" has one).
std::size_t fib_decimal_digits(std::uint64_t n);

// F(n) modulo both primes, by fast doubling: O(log n).
Residues fib_residues(std::uint64_t n, const CheckModuli& moduli);

}  // namespace fibd
