#include "fib.h"

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

std::string fib_fast(std::uint64_t n) {
  Mpz f;
  mpz_fib_ui(f.get(), static_cast<unsigned long>(n));
  return f.to_decimal();
}

namespace {

// Calls between two looks at the cancel flag: cheap enough to be invisible,
// frequent enough (microseconds apart) to stop at once.
constexpr unsigned kCancelPollInterval = 4096;

class NaiveFib {
 public:
  explicit NaiveFib(const std::atomic<bool>& cancel) : cancel_(cancel) {}

  // The seed's recursion. Once cancelled, every pending call returns at once,
  // so unwinding costs O(n) calls.
  std::uint64_t fib(std::uint64_t n) {
    if (cancelled_) return 0;
    if (--countdown_ == 0) {
      countdown_ = kCancelPollInterval;
      if (cancel_.load(std::memory_order_relaxed)) {
        cancelled_ = true;
        return 0;
      }
    }
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
  }

  bool cancelled() const { return cancelled_; }

 private:
  const std::atomic<bool>& cancel_;
  unsigned countdown_ = kCancelPollInterval;
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
