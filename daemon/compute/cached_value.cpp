#include "compute/cached_value.h"

#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "compute/fib_check.h"
#include "metrics/metrics.h"
#include "plugin_host/cache.h"

namespace fibd {

bool accept_cached_fib(std::uint64_t n, std::string_view value, const Cache& cache,
                       Metrics& metrics, std::shared_ptr<const std::string>* kept) {
  const FibCheck verdict = check_fib_value(n, value, kept);
  if (verdict == FibCheck::Ok) return true;
  const char* reason = fib_check_reason(verdict);
  metrics.cache_rejected(reason);
  log_rejected_cache_value(cache.name(), cache_key(n), reason, value);
  return false;
}

}  // namespace fibd
