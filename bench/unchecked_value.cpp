// Benchmark only (never installed): accept_cached_fib() that accepts every
// value. Linked into build/bench/fibd-unchecked ahead of libfibd_compute.a,
// it takes the place of compute/cached_value.cpp (whose object is then never
// pulled from the archive), so `make bench` can compare fibd with and
// without the check of cached values on the same build.
#include "compute/cached_value.h"

namespace fibd {

bool accept_cached_fib(std::uint64_t, std::string_view, const Cache&, Metrics&,
                       std::shared_ptr<const std::string>*) {
  return true;
}

}  // namespace fibd
