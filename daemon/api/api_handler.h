// The HTTP API of SPEC.md on one event loop: /fib/{n}, /healthz, /metrics,
// 404 and 405, as an http::Handler (it sees requests and responders, no
// libevent). Cache hits of non-blocking caches are answered right on the
// loop without allocating; everything else goes through FibService and is
// answered through a Deferred when the result comes back.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compute/fib_service.h"
#include "compute/runtime.h"
#include "http/handler.h"
#include "metrics/metrics.h"
#include "plugin_host/cache.h"

namespace fibd {

// What every loop's handler shares.
struct ApiContext {
  RuntimeHolder& runtime;
  FibService& fib;
  Metrics& metrics;
};

class ApiHandler final : public http::Handler {
 public:
  explicit ApiHandler(ApiContext ctx);

  void handle(const http::Request& request, http::Responder& responder) override;
  void refused(int status, std::string_view message, http::Responder& responder) override;
  void connection_refused() override {
    count(503);
    ctx_.metrics.connection_refused();
  }
  void sent(std::uint8_t label, std::chrono::steady_clock::duration took) override {
    ctx_.metrics.observe_request(static_cast<LatencyLabel>(label), took);
  }

  // Drops this loop's reference to the runtime snapshot so a replaced cache
  // can drain even while this loop is idle. Loop thread only.
  void release_runtime() { view_.release(); }

 private:
  struct Miss;
  struct Lookup;

  void handle_fib(std::string_view n_text, http::Responder& responder);
  void compute_inline(std::uint64_t n, http::Responder& responder);
  // `timeout`: what is left of the request's limits.compute_timeout (all
  // of it when zero).
  void submit(std::uint64_t n, const std::shared_ptr<const Runtime>& rt,
              bool lookup_cache, http::Responder& responder,
              std::chrono::milliseconds timeout = {});
  // Async caches: the lookup holds no worker and no max_inflight slot while
  // it waits; a miss then goes to compute (api/cache_lookup.cpp).
  void lookup_async(std::uint64_t n, http::Responder& responder);
  void lookup_done(std::uint64_t n, const std::shared_ptr<const Runtime>& rt,
                   const CacheLookup& lookup,
                   std::chrono::steady_clock::time_point deadline,
                   http::Responder& responder);
  void complete(const Miss& miss, const FibResult& result, http::Responder& responder);
  void send_fib(http::Responder& responder, std::string_view digits, bool hit,
                std::shared_ptr<const std::string> owner = nullptr);
  // A hit: from `kept`, the remembered copy of the same bytes, when there is one.
  void send_hit(http::Responder& responder, std::string_view digits,
                std::shared_ptr<const std::string> kept);
  void send_error(http::Responder& responder, int status, std::string_view message,
                  bool retry_later = false, LatencyLabel label = LatencyLabel::FibError);
  void count(int status) { ctx_.metrics.count_request(status); }

  // Misses up to this n are computed on the loop (fast algorithm only): up
  // to here mpz_fib_ui and the decimal conversion (a few microseconds) cost
  // less server CPU than the hop to a worker and back; beyond, the worker
  // path wins because concurrent misses for one n share one computation
  // (measured: docs/performance.md, "Inline misses").
  static constexpr std::uint64_t kInlineMaxN = 3000;

  ApiContext ctx_;
  RuntimeView view_;
  std::string value_;  // cache lookups on this loop, reused
  std::string error_;
  std::string body_;  // error bodies, reused
  std::string path_;  // a path with percent-encoded unreserved characters, decoded
};

}  // namespace fibd
