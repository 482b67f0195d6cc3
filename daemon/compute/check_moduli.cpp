#include "compute/check_moduli.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fibd {

namespace {

constexpr std::uint64_t kLow = std::uint64_t{1} << 61;

std::uint64_t pow_mod(std::uint64_t base, std::uint64_t exp, std::uint64_t m) {
  std::uint64_t result = 1 % m;
  base %= m;
  for (; exp != 0; exp >>= 1) {
    if (exp & 1) result = mul_mod_u64(result, base, m);
    base = mul_mod_u64(base, base, m);
  }
  return result;
}

std::uint64_t random_u64() {
  std::uint64_t value = 0;
  auto* out = reinterpret_cast<unsigned char*>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    // Blocks only until the kernel's pool is initialised (early boot).
    const ssize_t n = getrandom(out + got, sizeof value - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return value;
}

// A uniformly drawn start in [2^61, 2^62 - 2^40): the next prime is at most a
// few thousand above it, far below 2^62.
std::uint64_t random_start() {
  constexpr std::uint64_t span = kLow - (std::uint64_t{1} << 40);
  return kLow + random_u64() % span;
}

}  // namespace

CheckModuli draw_check_moduli() {
  CheckModuli moduli;
  moduli.primes[0] = check_prime_from(random_start());
  do {
    moduli.primes[1] = check_prime_from(random_start());
  } while (moduli.primes[1].p == moduli.primes[0].p);
  return moduli;
}

bool is_prime_u64(std::uint64_t n) {
  if (n < 2) return false;
  for (std::uint64_t small : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (n % small == 0) return n == small;
  }
  std::uint64_t d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  // These twelve bases decide primality for every n below 2^64.
  for (std::uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    std::uint64_t x = pow_mod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < s && composite; ++r) {
      x = mul_mod_u64(x, x, n);
      composite = x != n - 1;
    }
    if (composite) return false;
  }
  return true;
}

CheckPrime check_prime_from(std::uint64_t start) {
  if (start < kLow || start >= 2 * kLow - (std::uint64_t{1} << 40))
    throw std::invalid_argument("check_prime_from: start outside [2^61, 2^62 - 2^40)");
  CheckPrime prime;
  prime.p = start | 1;
  while (!is_prime_u64(prime.p)) prime.p += 2;
  const std::uint64_t chunk = pow_mod(10, kChunkDigits, prime.p);
  prime.chunk_power[0] = 1;
  for (std::size_t i = 1; i < prime.chunk_power.size(); ++i)
    prime.chunk_power[i] = mul_mod_u64(prime.chunk_power[i - 1], chunk, prime.p);
  return prime;
}

const CheckModuli& process_check_moduli() {
  static const CheckModuli moduli = draw_check_moduli();
  return moduli;
}

}  // namespace fibd
