#include "api/api_handler.h"

#include <atomic>
#include <chrono>
#include <optional>

#include "api/router.h"
#include "base/escape.h"
#include "base/log.h"
#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "compute/cached_value.h"
#include "compute/fib.h"
#include "http/request_target.h"

namespace fibd {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kOpen = "{\"result\":";
constexpr std::string_view kClose = "}";

constexpr std::uint8_t tag(LatencyLabel label) {
  return static_cast<std::uint8_t>(label);
}

void append_json_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

// A request waiting for a computation. Shared by the callbacks that may end
// it (result, client gone, timeout); they all run on the loop thread.
struct ApiHandler::Miss {
  std::uint64_t n = 0;
  FibService::Ticket ticket;
};

ApiHandler::ApiHandler(ApiContext ctx) : ctx_(ctx), view_(ctx.runtime) {}

void ApiHandler::handle(const http::Request& request, http::Responder& responder) {
  const Route r = route(http::decode_unreserved(request.path, path_));
  if (r.endpoint == Endpoint::NotFound) {
    send_error(responder, 404, "no such resource; try /fib/{n}, /healthz or /metrics",
               false, LatencyLabel::Other);
    return;
  }
  if (request.method == http::Method::Other) {
    static constexpr http::Header kAllow[] = {{"Allow", "GET, HEAD"}};
    body_.assign("{\"error\":\"method not allowed; use GET or HEAD\"}");
    count(405);
    responder.respond(http::Response{405, kJson, kAllow, {}, body_, {}, nullptr},
                      tag(LatencyLabel::Other));
    return;
  }
  switch (r.endpoint) {
    case Endpoint::Fib:
      handle_fib(r.n_text, responder);
      return;
    case Endpoint::Healthz:
      count(200);
      responder.respond(
          http::Response{200, kJson, {}, {}, R"({"status":"ok"})", {}, nullptr},
          tag(LatencyLabel::Healthz));
      return;
    case Endpoint::Metrics: {
      auto text = std::make_shared<const std::string>(ctx_.metrics.serialize());
      count(200);
      responder.respond(
          http::Response{
              200, "text/plain; version=0.0.4; charset=utf-8", {}, {}, *text, {}, text},
          tag(LatencyLabel::Metrics));
      return;
    }
    case Endpoint::NotFound:
      break;
  }
}

void ApiHandler::refused(int status, std::string_view message,
                         http::Responder& responder) {
  send_error(responder, status, message);
}

void ApiHandler::handle_fib(std::string_view n_text, http::Responder& responder) {
  const Runtime& rt = view_.refresh();
  std::uint64_t n = 0;
  switch (parse_n(n_text, rt.max_n, n)) {
    case ParseN::Invalid:
      send_error(responder, 400,
                 "n must be a non-negative integer in plain decimal digits, got \"" +
                     escape_untrusted(n_text) + "\"");
      return;
    case ParseN::TooLarge:
      send_error(responder, 400,
                 "n is too large: the limit is fib.max_n = " + std::to_string(rt.max_n) +
                     ", got \"" + escape_untrusted(n_text) + "\"");
      return;
    case ParseN::Ok:
      break;
  }
  SPDLOG_DEBUG("GET /fib/{}", n);

  Cache& cache = *rt.cache;
  if (cache.async() || !cache.non_blocking()) {
    // A hit in the near tier is answered here; an async cache is asked
    // without holding a thread; anything else goes to a worker.
    std::shared_ptr<const std::string> kept;
    if (cache.get_near(cache_key(n), value_) &&
        accept_cached_fib(n, value_, cache, ctx_.metrics, &kept)) {
      ctx_.metrics.cache_hit();
      send_hit(responder, value_, std::move(kept));
      return;
    }
    if (cache.async()) {
      lookup_async(n, responder);
      return;
    }
    submit(n, view_.snapshot(), /*lookup_cache=*/true, responder);
    return;
  }
  // value_ and error_ keep their capacity across requests: a hit allocates
  // nothing here, and the answer is written from value_ before we return.
  switch (cache.get(cache_key(n), value_, error_)) {
    case CacheOutcome::Hit: {
      std::shared_ptr<const std::string> kept;
      if (!accept_cached_fib(n, value_, cache, ctx_.metrics, &kept)) {
        ctx_.metrics.cache_miss();  // computed, served, and written back
        break;
      }
      ctx_.metrics.cache_hit();
      send_hit(responder, value_, std::move(kept));
      return;
    }
    case CacheOutcome::Error:
      ctx_.metrics.cache_error();
      log_cache_error("get", cache.name(), error_);
      [[fallthrough]];
    case CacheOutcome::NotFound:
    case CacheOutcome::Expired:
      ctx_.metrics.cache_miss();
      break;
  }
  if (rt.algorithm == Algorithm::Fast && n <= kInlineMaxN) {
    compute_inline(n, responder);
    return;
  }
  submit(n, view_.snapshot(), /*lookup_cache=*/false, responder);
}

// For small n, mpz_fib_ui and the decimal conversion cost less than handing
// the request to a worker and the answer back (docs/performance.md has the
// measurement), so the loop computes it.
void ApiHandler::compute_inline(std::uint64_t n, http::Responder& responder) {
  const auto started = std::chrono::steady_clock::now();
  static const std::atomic<bool> kNeverCancelled{false};
  std::optional<std::string> computed = compute_fib(Algorithm::Fast, n, kNeverCancelled);
  ctx_.metrics.observe_compute(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  send_fib(responder, *computed, false);
  // Like every computed value, it reaches the cache after its answer (the
  // writer skips a cache that keeps nothing).
  ctx_.fib.store(view_.snapshot(), n,
                 std::make_shared<const std::string>(std::move(*computed)));
}

void ApiHandler::submit(std::uint64_t n, const std::shared_ptr<const Runtime>& rt,
                        bool lookup_cache, http::Responder& responder,
                        std::chrono::milliseconds timeout) {
  auto miss = std::make_shared<Miss>();
  miss->n = n;
  http::DeferOptions options;
  options.timeout = timeout.count() > 0 ? timeout : rt->compute_timeout;
  options.on_timeout = [this, miss,
                        ms = rt->compute_timeout.count()](http::Responder& r) {
    ctx_.fib.detach(miss->ticket);
    spdlog::warn("F({}) took longer than limits.compute_timeout ({} ms); answering 503",
                 miss->n, ms);
    send_error(
        r, 503,
        "computation exceeded limits.compute_timeout (" + std::to_string(ms) + " ms)",
        /*retry_later=*/true);
  };
  options.on_cancel = [this, miss] {
    ctx_.fib.detach(miss->ticket);
    SPDLOG_DEBUG("client left while F({}) was computing; dropping the request", miss->n);
  };
  const http::Deferred deferred = responder.defer(std::move(options));
  // Runs on a worker; the answer is built on the loop, if the request is
  // still there by then.
  auto done = [this, deferred, miss](const std::shared_ptr<const FibResult>& result) {
    deferred.complete(
        [this, miss, result](http::Responder& r) { complete(*miss, *result, r); });
  };
  if (ctx_.fib.submit(n, rt, lookup_cache, std::move(done), miss->ticket) ==
      FibService::Submit::Overloaded) {
    ctx_.metrics.computation_refused();
    send_error(responder, 503,
               "server busy: limits.max_inflight (" + std::to_string(rt->max_inflight) +
                   ") computations are running; retry later",
               /*retry_later=*/true);
  }
}

void ApiHandler::complete(const Miss& miss, const FibResult& result,
                          http::Responder& responder) {
  switch (result.status) {
    case FibResult::Status::Ok:
      send_fib(responder, *result.digits, result.from_cache, result.digits);
      return;
    case FibResult::Status::Cancelled:
      send_error(responder, 503, "computation cancelled: the server is shutting down",
                 /*retry_later=*/true);
      return;
    case FibResult::Status::Failed:
      spdlog::error("computing F({}) failed: {}", miss.n, result.error);
      send_error(responder, 500, "computation failed: " + result.error);
      return;
  }
}

void ApiHandler::send_fib(http::Responder& responder, std::string_view digits, bool hit,
                          std::shared_ptr<const std::string> owner) {
  static constexpr http::Header kHit[] = {{"X-Cache", "hit"}};
  static constexpr http::Header kMiss[] = {{"X-Cache", "miss"}};
  count(200);
  responder.respond(http::Response{200, kJson, hit ? kHit : kMiss, kOpen, digits, kClose,
                                   std::move(owner)},
                    tag(hit ? LatencyLabel::FibHit : LatencyLabel::FibMiss));
}

void ApiHandler::send_hit(http::Responder& responder, std::string_view digits,
                          std::shared_ptr<const std::string> kept) {
  // The remembered copy holds the same bytes and outlives this call: what
  // the socket does not take at once is queued by reference, not copied.
  if (kept != nullptr) {
    const std::string_view same = *kept;  // before `kept` moves into the call
    send_fib(responder, same, true, std::move(kept));
  } else {
    send_fib(responder, digits, true);
  }
}

void ApiHandler::send_error(http::Responder& responder, int status,
                            std::string_view message, bool retry_later,
                            LatencyLabel label) {
  static constexpr http::Header kRetry[] = {{"Retry-After", "1"}};
  body_.assign("{\"error\":\"");
  append_json_escaped(body_, message);
  body_.append("\"}");
  count(status);
  responder.respond(http::Response{status,
                                   kJson,
                                   retry_later ? std::span<const http::Header>(kRetry)
                                               : std::span<const http::Header>(),
                                   {},
                                   body_,
                                   {},
                                   nullptr},
                    tag(label));
}

}  // namespace fibd
