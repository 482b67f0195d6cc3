// The HTTP API of SPEC.md on one event loop: /fib/{n}, /healthz, /metrics,
// 404 and 405. Cache hits of non-blocking caches are answered right on the
// loop; everything else goes through FibService and comes back via post().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "compute/fib_service.h"
#include "compute/runtime.h"
#include "http/http_server.h"
#include "metrics/metrics.h"

namespace fibd {

// What every loop's handler shares.
struct ApiContext {
  RuntimeHolder& runtime;
  FibService& fib;
  Metrics& metrics;
};

class ApiHandler final : public RequestHandler {
 public:
  ApiHandler(HttpLoop& loop, ApiContext ctx);
  ~ApiHandler() override;

  void handle(evhttp_request* req) override;
  void connection_closing(evhttp_connection* conn) override;
  std::size_t pending() const override { return pending_count_.load(); }
  void rejected(int status) override { count(status); }

  // Drops this loop's reference to the runtime snapshot so a replaced cache
  // can drain even while this loop is idle. Loop thread only.
  void release_runtime() { view_.release(); }

 private:
  struct Pending;

  void handle_fib(evhttp_request* req, std::string_view n_text, bool head);
  void submit(evhttp_request* req, std::uint64_t n, bool head,
              const std::shared_ptr<const Runtime>& rt, bool lookup_cache);
  void complete(std::uint64_t id, const std::shared_ptr<const FibResult>& result);
  void client_gone(std::uint64_t id);
  void timed_out(std::uint64_t id);
  // Removes the pending entry (and its watchers) and returns it.
  std::unique_ptr<Pending> take(std::uint64_t id);

  // Bodies at least this large are referenced by the output buffer, not copied.
  static constexpr std::size_t kReferenceBytes = 64 * 1024;
  void send_fib(evhttp_request* req, std::string_view digits, bool hit, bool head);
  void send_fib(evhttp_request* req, std::shared_ptr<const std::string> digits, bool hit,
                bool head);
  void send_json(evhttp_request* req, int code, std::string_view body, bool head);
  void send_error(evhttp_request* req, int code, std::string_view message, bool head);
  void count(int status) { ctx_.metrics.count_request(status); }

  HttpLoop& loop_;
  ApiContext ctx_;
  RuntimeView view_;
  std::string value_;  // cache lookups on this loop, reused
  std::string error_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> pending_;
  std::unordered_map<evhttp_connection*, std::uint64_t> by_conn_;
  std::atomic<std::size_t> pending_count_{0};
  bool early_close_ = false;  // the backend reports peer FIN (EV_CLOSED)
};

}  // namespace fibd
