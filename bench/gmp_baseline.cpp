// The limit for a miss: F(n) computed and printed in-process, with nothing
// else around it. `make bench` compares fibd's end-to-end miss latency to it.
//
//   gmp_baseline fast N [SECONDS]    mpz_fib_ui + mpz_get_str + write(2)
//   gmp_baseline naive N [SECONDS]   the naive recursion + decimal + write(2)
//
// Repeats for at least SECONDS (default 1) and 5 iterations, writing every
// result to /dev/null, and prints one JSON line with per-iteration times.
#include <fcntl.h>
#include <gmp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::uint64_t naive(std::uint64_t n) { return n < 2 ? n : naive(n - 1) + naive(n - 2); }

void write_all(int fd, const char* data, std::size_t len) {
  while (len > 0) {
    const ssize_t w = ::write(fd, data, len);
    if (w <= 0) std::exit(3);
    data += w;
    len -= static_cast<std::size_t>(w);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::strcmp(argv[1], "fast") != 0 && std::strcmp(argv[1], "naive") != 0)) {
    std::fprintf(stderr, "usage: %s fast|naive N [SECONDS]\n", argv[0]);
    return 2;
  }
  const bool fast = std::strcmp(argv[1], "fast") == 0;
  const unsigned long n = std::strtoul(argv[2], nullptr, 10);
  const double seconds = argc > 3 ? std::atof(argv[3]) : 1.0;
  const int sink = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (sink < 0) return 3;

  using Clock = std::chrono::steady_clock;
  std::vector<double> us;
  std::string text;
  mpz_t f;
  mpz_init(f);
  const auto start = Clock::now();
  std::size_t digits = 0;
  while (us.size() < 5 ||
         std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    const auto t0 = Clock::now();
    if (fast) {
      mpz_fib_ui(f, n);
      text.resize(mpz_sizeinbase(f, 10) + 2);
      mpz_get_str(text.data(), 10, f);
      text.resize(std::strlen(text.c_str()));
    } else {
      text = std::to_string(naive(n));
    }
    write_all(sink, text.data(), text.size());
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    digits = text.size();
  }
  mpz_clear(f);
  std::vector<double> sorted = us;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("{\"mode\":\"%s\",\"n\":%lu,\"digits\":%zu,\"iterations\":%zu,"
              "\"median_us\":%.2f,\"mean_us\":%.2f,\"min_us\":%.2f,\"p10_us\":%.2f,"
              "\"p90_us\":%.2f}\n",
              argv[1], n, digits, us.size(), sorted[sorted.size() / 2],
              sum / static_cast<double>(us.size()), sorted.front(), sorted[sorted.size() / 10],
              sorted[sorted.size() * 9 / 10]);
  return 0;
}
