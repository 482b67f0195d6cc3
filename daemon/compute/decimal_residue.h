// A decimal string's value modulo the check's primes (compute/check_moduli.h),
// read straight from its digits: 16 digits per step as two 64-bit words
// (SWAR), each chunk weighed by its power of ten within a block of 32, one
// 128-bit reduction a block.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "compute/check_moduli.h"

namespace fibd {

using Residues = std::array<std::uint64_t, 2>;

// false if any byte of `digits` is not '0'..'9'; otherwise `out` holds the
// value modulo moduli.primes[0].p and [1].p. The empty string is 0.
bool decimal_residues(std::string_view digits, const CheckModuli& moduli, Residues& out);

}  // namespace fibd
