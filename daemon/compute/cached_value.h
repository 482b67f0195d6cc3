// The one gate every value from the cache passes before it is served, on an
// event loop (non-blocking caches) or a worker (the others).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace fibd {

class Cache;
class Metrics;

// True when `value` (what the cache returned for n) is F(n) and may be
// served. Otherwise the value has been counted (fibd_cache_rejected_total
// {reason} and fibd_cache_errors_total) and logged (rate-limited, escaped);
// the caller treats it as a miss: computes F(n), serves it and writes it
// back over the bad entry.
// When `kept` is given, an accepted value that fibd remembers (a large one)
// comes back in it: the same bytes, immutable, to answer from by reference.
bool accept_cached_fib(std::uint64_t n, std::string_view value, const Cache& cache,
                       Metrics& metrics,
                       std::shared_ptr<const std::string>* kept = nullptr);

}  // namespace fibd
