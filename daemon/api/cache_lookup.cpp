// Lookups in an async cache (a plugin that completes calls from threads of
// its own, like redis.so): the request waits on its loop with no worker and
// no limits.max_inflight slot held; a hit is checked and answered on the
// loop, a miss goes on to compute with what is left of the request's time.
#include "api/api_handler.h"
#include "base/log.h"
#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "compute/cached_value.h"

namespace fibd {

namespace {

std::string lookup_timed_out(std::chrono::milliseconds limit) {
  return "cache lookup exceeded limits.compute_timeout (" +
         std::to_string(limit.count()) + " ms)";
}

}  // namespace

// The lookup a request waits for; touched on the loop only. It keeps the
// runtime (so the cache) alive for as long as it holds the handle.
struct ApiHandler::Lookup {
  std::shared_ptr<const Runtime> rt;
  std::shared_ptr<CacheLookupHandle> handle;  // declared after rt: goes first
  void cancel() const {
    if (handle) handle->cancel();
  }
};

void ApiHandler::lookup_async(std::uint64_t n, http::Responder& responder) {
  std::shared_ptr<const Runtime> rt = view_.snapshot();
  const auto deadline = std::chrono::steady_clock::now() + rt->compute_timeout;
  auto lookup = std::make_shared<Lookup>();
  lookup->rt = rt;
  http::DeferOptions options;
  options.timeout = rt->compute_timeout;
  options.on_timeout = [this, lookup, n,
                        limit = rt->compute_timeout](http::Responder& r) {
    lookup->cancel();
    spdlog::warn(
        "the cache lookup of F({}) took longer than limits.compute_timeout ({} ms); "
        "answering 503",
        n, limit.count());
    send_error(r, 503, lookup_timed_out(limit), /*retry_later=*/true);
  };
  options.on_cancel = [lookup] { lookup->cancel(); };
  const http::Deferred deferred = responder.defer(std::move(options));
  // Runs on whichever thread completes the lookup (the plugin's); the rest
  // happens on the loop, if the request is still there. `rt` keeps the
  // cache alive until then.
  lookup->handle = rt->cache->get_async(
      cache_key(n), deadline, [this, deferred, n, rt, deadline](CacheLookup result) {
        auto shared = std::make_shared<const CacheLookup>(std::move(result));
        deferred.complete([this, n, rt, deadline, shared](http::Responder& r) {
          lookup_done(n, rt, *shared, deadline, r);
        });
      });
}

void ApiHandler::lookup_done(std::uint64_t n, const std::shared_ptr<const Runtime>& rt,
                             const CacheLookup& lookup,
                             std::chrono::steady_clock::time_point deadline,
                             http::Responder& responder) {
  Cache& cache = *rt->cache;
  switch (lookup.outcome) {
    case CacheOutcome::Hit: {
      std::shared_ptr<const std::string> kept;
      if (accept_cached_fib(n, lookup.value, cache, ctx_.metrics, &kept)) {
        ctx_.metrics.cache_hit();
        send_hit(responder, lookup.value, std::move(kept));
        return;
      }
      ctx_.metrics.cache_miss();  // computed, served, and written back
      break;
    }
    case CacheOutcome::Error:
      ctx_.metrics.cache_error();
      log_cache_error("get", cache.name(), lookup.error);
      [[fallthrough]];
    case CacheOutcome::NotFound:
    case CacheOutcome::Expired:
      ctx_.metrics.cache_miss();
      break;
  }
  if (rt->algorithm == Algorithm::Fast && n <= kInlineMaxN) {
    compute_inline(n, responder);
    return;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    send_error(responder, 503, lookup_timed_out(rt->compute_timeout),
               /*retry_later=*/true);
    return;
  }
  submit(n, rt, /*lookup_cache=*/false, responder, left);
}

}  // namespace fibd
