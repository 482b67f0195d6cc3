#include "api/api_handler.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>

#include "api/router.h"
#include "base/escape.h"
#include "base/rate_limited_log.h"
#include "compute/cache_key.h"
#include "compute/cached_value.h"

namespace fibd {

namespace {

constexpr std::string_view kAllow = "GET, HEAD";

const char* reason_for(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return nullptr;  // evhttp picks the standard phrase
  }
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
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
  return out;
}

}  // namespace

struct ApiHandler::Pending {
  ApiHandler* owner = nullptr;
  std::uint64_t id = 0;
  evhttp_request* req = nullptr;
  evhttp_connection* conn = nullptr;
  std::uint64_t n = 0;
  bool head = false;
  FibService::Ticket ticket;
  EventPtr close_watch;
  EventPtr timeout;
};

ApiHandler::ApiHandler(HttpLoop& loop, ApiContext ctx)
    : loop_(loop), ctx_(ctx), view_(ctx.runtime) {
  early_close_ = (event_base_get_features(loop.base()) & EV_FEATURE_EARLY_CLOSE) != 0;
}

ApiHandler::~ApiHandler() {
  for (auto& [id, p] : pending_) ctx_.fib.detach(p->ticket);
}

void ApiHandler::handle(evhttp_request* req) {
  const char* uri = evhttp_request_get_uri(req);
  const Route r = route(uri ? uri : "");
  const auto cmd = evhttp_request_get_command(req);
  const bool head = cmd == EVHTTP_REQ_HEAD;
  if (r.endpoint == Endpoint::NotFound) {
    send_error(req, 404, "no such resource; try /fib/{n}, /healthz or /metrics", head);
    return;
  }
  if (cmd != EVHTTP_REQ_GET && !head) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", kAllow.data());
    send_error(req, 405, "method not allowed; use GET or HEAD", false);
    return;
  }
  switch (r.endpoint) {
    case Endpoint::Fib:
      handle_fib(req, r.n_text, head);
      return;
    case Endpoint::Healthz:
      send_json(req, 200, R"({"status":"ok"})", head);
      return;
    case Endpoint::Metrics: {
      const std::string text = ctx_.metrics.serialize();
      evkeyvalq* out = evhttp_request_get_output_headers(req);
      evhttp_add_header(out, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      evbuffer_add(evhttp_request_get_output_buffer(req), text.data(), text.size());
      if (head)
        evhttp_add_header(out, "Content-Length", std::to_string(text.size()).c_str());
      count(200);
      loop_.reply(req, 200, "OK", nullptr);
      return;
    }
    case Endpoint::NotFound:
      break;
  }
}

void ApiHandler::handle_fib(evhttp_request* req, std::string_view n_text, bool head) {
  const Runtime& rt = view_.refresh();
  std::uint64_t n = 0;
  switch (parse_n(n_text, rt.max_n, n)) {
    case ParseN::Invalid:
      send_error(req, 400,
                 "n must be a non-negative integer in plain decimal digits, got \"" +
                     escape_untrusted(n_text) + "\"",
                 head);
      return;
    case ParseN::TooLarge:
      send_error(req, 400,
                 "n is too large: the limit is fib.max_n = " + std::to_string(rt.max_n) +
                     ", got \"" + escape_untrusted(n_text) + "\"",
                 head);
      return;
    case ParseN::Ok:
      break;
  }
  SPDLOG_DEBUG("GET /fib/{}", n);

  Cache& cache = *rt.cache;
  if (!cache.non_blocking()) {
    submit(req, n, head, view_.snapshot(), /*lookup_cache=*/true);
    return;
  }
  // value_ and error_ keep their capacity across requests: a hit allocates
  // nothing here.
  switch (cache.get(cache_key(n), value_, error_)) {
    case CacheOutcome::Hit:
      if (!accept_cached_fib(n, value_, cache, ctx_.metrics)) {
        ctx_.metrics.cache_miss();  // computed, served, and written back
        break;
      }
      ctx_.metrics.cache_hit();
      if (value_.size() >= kReferenceBytes) {
        // Large: hand the string itself to the output buffer.
        send_fib(req, std::make_shared<const std::string>(std::move(value_)), true, head);
        value_ = std::string();
      } else {
        send_fib(req, value_, true, head);
      }
      return;
    case CacheOutcome::Error:
      ctx_.metrics.cache_error();
      log_cache_error("get", cache.name(), error_);
      [[fallthrough]];
    case CacheOutcome::NotFound:
    case CacheOutcome::Expired:
      ctx_.metrics.cache_miss();
      break;
  }
  submit(req, n, head, view_.snapshot(), /*lookup_cache=*/false);
}

void ApiHandler::submit(evhttp_request* req, std::uint64_t n, bool head,
                        const std::shared_ptr<const Runtime>& rt, bool lookup_cache) {
  const std::uint64_t id = next_id_++;
  EventLoop* loop = &loop_.loop();
  // Runs on a worker; the answer is built on this loop. If the request is gone
  // by then, complete() finds no entry and drops the result.
  auto done = [loop, this, id](const std::shared_ptr<const FibResult>& result) {
    loop->post([this, id, result] { complete(id, result); });
  };
  FibService::Ticket ticket;
  if (ctx_.fib.submit(n, rt, lookup_cache, std::move(done), ticket) ==
      FibService::Submit::Overloaded) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    send_error(req, 503,
               "server busy: limits.max_inflight (" + std::to_string(rt->max_inflight) +
                   ") computations are running; retry later",
               head);
    return;
  }

  auto p = std::make_unique<Pending>();
  p->owner = this;
  p->id = id;
  p->req = req;
  p->conn = evhttp_request_get_connection(req);
  p->n = n;
  p->head = head;
  p->ticket = std::move(ticket);

  // evhttp stops reading once it has the request, so it would not notice the
  // client leaving; watch the socket for the peer's FIN ourselves.
  const int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(p->conn));
  p->close_watch.reset(event_new(
      loop_.base(), fd, early_close_ ? EV_CLOSED : EV_READ,
      [](evutil_socket_t sock, short what, void* arg) {
        auto* pending = static_cast<Pending*>(arg);
        if ((what & EV_CLOSED) == 0) {
          char byte;
          const ssize_t got = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (got > 0 || (got < 0 && (errno == EAGAIN || errno == EINTR))) {
            return;  // a pipelined request, not a close: stop watching
          }
        }
        pending->owner->client_gone(pending->id);
      },
      p.get()));
  event_add(p->close_watch.get(), nullptr);

  p->timeout.reset(evtimer_new(
      loop_.base(),
      [](evutil_socket_t, short, void* arg) {
        auto* pending = static_cast<Pending*>(arg);
        pending->owner->timed_out(pending->id);
      },
      p.get()));
  const auto ms = rt->compute_timeout.count();
  const timeval tv{static_cast<time_t>(ms / 1000),
                   static_cast<suseconds_t>(ms % 1000 * 1000)};
  event_add(p->timeout.get(), &tv);

  by_conn_[p->conn] = id;
  pending_.emplace(id, std::move(p));
  pending_count_.fetch_add(1);
}

std::unique_ptr<ApiHandler::Pending> ApiHandler::take(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return nullptr;
  auto p = std::move(it->second);
  pending_.erase(it);
  by_conn_.erase(p->conn);
  pending_count_.fetch_sub(1);
  return p;
}

void ApiHandler::complete(std::uint64_t id,
                          const std::shared_ptr<const FibResult>& result) {
  auto p = take(id);
  if (!p) return;
  switch (result->status) {
    case FibResult::Status::Ok:
      send_fib(p->req, result->digits, result->from_cache, p->head);
      return;
    case FibResult::Status::Cancelled:
      evhttp_add_header(evhttp_request_get_output_headers(p->req), "Retry-After", "1");
      send_error(p->req, 503, "computation cancelled: the server is shutting down",
                 p->head);
      return;
    case FibResult::Status::Failed:
      spdlog::error("computing F({}) failed: {}", p->n, result->error);
      send_error(p->req, 500, "computation failed: " + result->error, p->head);
      return;
  }
}

void ApiHandler::client_gone(std::uint64_t id) {
  auto p = take(id);
  if (!p) return;
  ctx_.fib.detach(p->ticket);
  SPDLOG_DEBUG("client left while F({}) was computing; dropping the request", p->n);
  // Frees the request too; our close callback finds nothing left to forget.
  evhttp_connection_free(p->conn);
}

void ApiHandler::timed_out(std::uint64_t id) {
  auto p = take(id);
  if (!p) return;
  ctx_.fib.detach(p->ticket);
  const auto& rt = view_.refresh();
  spdlog::warn("F({}) took longer than limits.compute_timeout ({} ms); answering 503",
               p->n, rt.compute_timeout.count());
  evhttp_add_header(evhttp_request_get_output_headers(p->req), "Retry-After", "1");
  send_error(p->req, 503,
             "computation exceeded limits.compute_timeout (" +
                 std::to_string(rt.compute_timeout.count()) + " ms)",
             p->head);
}

void ApiHandler::connection_closing(evhttp_connection* conn) {
  auto it = by_conn_.find(conn);
  if (it == by_conn_.end()) return;
  auto p = take(it->second);
  if (p) ctx_.fib.detach(p->ticket);
}

namespace {

constexpr std::string_view kOpen = "{\"result\":";
constexpr std::string_view kClose = "}";

void fib_headers(evhttp_request* req, std::size_t digits, bool hit, bool head) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evhttp_add_header(headers, "X-Cache", hit ? "hit" : "miss");
  if (head) {
    const auto len = std::to_string(kOpen.size() + digits + kClose.size());
    evhttp_add_header(headers, "Content-Length", len.c_str());
  }
}

}  // namespace

void ApiHandler::send_fib(evhttp_request* req, std::string_view digits, bool hit,
                          bool head) {
  fib_headers(req, digits.size(), hit, head);
  evbuffer* out = evhttp_request_get_output_buffer(req);
  if (digits.size() <= 256) {
    // One contiguous append instead of three.
    char body[kOpen.size() + 256 + kClose.size()];
    std::memcpy(body, kOpen.data(), kOpen.size());
    std::memcpy(body + kOpen.size(), digits.data(), digits.size());
    std::memcpy(body + kOpen.size() + digits.size(), kClose.data(), kClose.size());
    evbuffer_add(out, body, kOpen.size() + digits.size() + kClose.size());
  } else {
    evbuffer_add(out, kOpen.data(), kOpen.size());
    evbuffer_add(out, digits.data(), digits.size());
    evbuffer_add(out, kClose.data(), kClose.size());
  }
  count(200);
  loop_.reply(req, 200, "OK", nullptr);
}

void ApiHandler::send_fib(evhttp_request* req, std::shared_ptr<const std::string> digits,
                          bool hit, bool head) {
  if (digits->size() < kReferenceBytes) {
    send_fib(req, *digits, hit, head);
    return;
  }
  // Zero-copy: the output buffer references the digits (shared with the
  // coalesced waiters and the computation) until the socket has taken them.
  fib_headers(req, digits->size(), hit, head);
  evbuffer* out = evhttp_request_get_output_buffer(req);
  evbuffer_add(out, kOpen.data(), kOpen.size());
  using Keep = std::shared_ptr<const std::string>;
  auto keep = std::make_unique<Keep>(std::move(digits));
  const std::string& text = **keep;
  if (evbuffer_add_reference(
          out, text.data(), text.size(),
          [](const void*, size_t, void* arg) {
            // Takes back the reference handed over below.
            std::unique_ptr<Keep>(static_cast<Keep*>(arg));
          },
          keep.get()) == 0) {
    (void)keep.release();  // owned by the evbuffer until its cleanup runs
  } else {
    evbuffer_add(out, text.data(), text.size());
  }
  evbuffer_add(out, kClose.data(), kClose.size());
  count(200);
  loop_.reply(req, 200, "OK", nullptr);
}

void ApiHandler::send_json(evhttp_request* req, int code, std::string_view body,
                           bool head) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  if (head)
    evhttp_add_header(headers, "Content-Length", std::to_string(body.size()).c_str());
  count(code);
  loop_.reply(req, code, reason_for(code), nullptr);
}

void ApiHandler::send_error(evhttp_request* req, int code, std::string_view message,
                            bool head) {
  send_json(req, code, "{\"error\":\"" + json_escape(message) + "\"}", head);
}

}  // namespace fibd
