// The secret moduli of the check of cached values (compute/fib_check.h): two
// primes between 2^61 and 2^62, drawn at random by each process, with the
// powers of ten that compute/decimal_residue.cpp weighs digits by. A writer
// to a shared cache who has read this source still cannot know them, so he
// cannot make a wrong value that has F(n)'s residues (docs/security.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace fibd {

// Digits are read 16 at a time ("chunks"), and 32 chunks make a block whose
// products are summed in 128 bits before one reduction.
inline constexpr std::size_t kChunkDigits = 16;
inline constexpr std::size_t kBlockChunks = 32;

struct CheckPrime {
  std::uint64_t p = 0;
  // chunk_power[i] = 10^(16 i) mod p, for i = 0 .. kBlockChunks.
  std::array<std::uint64_t, kBlockChunks + 1> chunk_power{};
};

struct CheckModuli {
  std::array<CheckPrime, 2> primes;
};

// The moduli of this process: drawn from getrandom(2) the first time they are
// asked for (fibd asks at start-up), never logged, never exported.
const CheckModuli& process_check_moduli();

// Two fresh primes (distinct) and their powers, from getrandom(2).
CheckModuli draw_check_moduli();

// The first prime at or above `start` (2^61 <= start < 2^62 - 2^40), with its
// powers: the moduli from chosen seeds, for tests.
CheckPrime check_prime_from(std::uint64_t start);

// Deterministic Miller-Rabin for any 64-bit number.
bool is_prime_u64(std::uint64_t n);

// a * b mod m, for m below 2^63.
inline std::uint64_t mul_mod_u64(std::uint64_t a, std::uint64_t b, std::uint64_t m) {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(a) * b % m);
}

}  // namespace fibd
