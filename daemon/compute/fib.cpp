#include "compute/fib.h"

#include <cstring>
#include <stdexcept>

namespace fibd {

static_assert(sizeof(unsigned long) >= sizeof(std::uint64_t),
              "mpz_fib_ui needs a 64-bit unsigned long");

std::string Mpz::to_decimal() const {
  // mpz_sizeinbase may overstate by one; room for a sign and the NUL too.
  std::string out(mpz_sizeinbase(value_, 10) + 2, '\0');
  mpz_get_str(out.data(), 10, value_);
  out.resize(std::strlen(out.c_str()));
  return out;
}

namespace {

// Subtrees of at most this n run as the plain recursion, without looking at
// the cancel flag: F(kPlainMaxN) takes ~10^5 calls, well under a millisecond,
// so cancellation still lands within about that. Keeping the inner calls free
// of any state lets the compiler optimise them as it does the seed's code
// (polling in every call made F(30) twice as slow as the recursion itself).
constexpr std::uint64_t kPlainMaxN = 24;

std::uint64_t plain_fib(std::uint64_t n) {
  return n < 2 ? n : plain_fib(n - 1) + plain_fib(n - 2);
}

class NaiveFib {
 public:
  explicit NaiveFib(const std::atomic<bool>& cancel) : cancel_(cancel) {}

  // The seed's recursion. Above kPlainMaxN every call looks at the flag (a
  // tiny share of all calls: about one in F(kPlainMaxN)); once cancelled,
  // every pending call returns at once.
  std::uint64_t fib(std::uint64_t n) {
    if (cancelled_) return 0;
    if (n <= kPlainMaxN) return plain_fib(n);
    if (cancel_.load(std::memory_order_relaxed)) {
      cancelled_ = true;
      return 0;
    }
    return fib(n - 1) + fib(n - 2);
  }

  bool cancelled() const { return cancelled_; }

 private:
  const std::atomic<bool>& cancel_;
  bool cancelled_ = false;
};

}  // namespace

std::optional<std::string> fib_naive(std::uint64_t n, const std::atomic<bool>& cancel) {
  if (n > kNaiveMaxN) {
    throw std::out_of_range("fib_naive: n = " + std::to_string(n) + " is over " +
                            std::to_string(kNaiveMaxN));
  }
  if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
  NaiveFib engine(cancel);
  const std::uint64_t result = engine.fib(n);
  if (engine.cancelled()) return std::nullopt;
  return std::to_string(result);
}

std::optional<std::string> compute_fib(Algorithm algorithm, std::uint64_t n,
                                       const std::atomic<bool>& cancel) {
  switch (algorithm) {
    case Algorithm::Naive:
      return fib_naive(n, cancel);
    case Algorithm::Fast:
      break;
  }
  if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
  Mpz f;
  mpz_fib_ui(f.get(), static_cast<unsigned long>(n));
  // The decimal conversion of a huge F(n) costs as much as computing it.
  if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
  return f.to_decimal();
}

}  // namespace fibd
