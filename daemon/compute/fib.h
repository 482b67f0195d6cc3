// The Fibonacci engine: exact F(n) as decimal digits.
#pragma once

#include <gmp.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"

namespace fibd {

// Owns one GMP integer: mpz_init in the constructor, mpz_clear in the
// destructor. Movable (a moved-from Mpz holds 0), not copyable.
class Mpz {
 public:
  Mpz() { mpz_init(value_); }
  explicit Mpz(unsigned long v) { mpz_init_set_ui(value_, v); }
  ~Mpz() { mpz_clear(value_); }
  Mpz(Mpz&& other) noexcept : Mpz() { mpz_swap(value_, other.value_); }
  Mpz& operator=(Mpz&& other) noexcept {
    mpz_swap(value_, other.value_);
    return *this;
  }
  Mpz(const Mpz&) = delete;
  Mpz& operator=(const Mpz&) = delete;

  mpz_ptr get() { return value_; }
  mpz_srcptr get() const { return value_; }

  // The value in base 10 (with a leading '-' when negative).
  std::string to_decimal() const;

 private:
  mpz_t value_;
};

// The seed's exponential recursion (fib(n-1) + fib(n-2) on uint64), for demos.
// Polls `cancel` between subtrees of ~10^5 calls (well under a millisecond)
// and returns std::nullopt soon after it is set. Throws std::out_of_range
// when n > kNaiveMaxN.
std::optional<std::string> fib_naive(std::uint64_t n, const std::atomic<bool>& cancel);

// Dispatches on the algorithm. fast checks `cancel` only before starting and
// before converting to decimal; naive polls it throughout.
std::optional<std::string> compute_fib(Algorithm algorithm, std::uint64_t n,
                                       const std::atomic<bool>& cancel);

}  // namespace fibd
