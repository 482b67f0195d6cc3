// The interface between the HTTP layer and the application: a Handler gets
// each parsed Request with a Responder, and answers at once (on the loop
// thread, allocation-free) or defers and answers later from any thread.
// Nothing here is a libevent type.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "http/request.h"
#include "http/response.h"

namespace fibd::http {

class Connection;
struct DeferredState;
class Deferred;

struct DeferOptions {
  // After this long the request is answered by on_timeout (0: never).
  std::chrono::milliseconds timeout{0};
  std::function<void(class Responder&)> on_timeout;  // loop thread; must respond
  // The client left or the connection closed before an answer (loop thread).
  std::function<void()> on_cancel;
};

// Answers one request. Handed to Handler::handle (valid only during that
// call) and to the functions run by Deferred::complete.
class Responder {
 public:
  // Sends the answer now. For HEAD only the head goes out. `label` is the
  // handler's own: Handler::sent() gets it back.
  void respond(const Response& response, std::uint8_t label = 0);
  void respond(const OwnedResponse& response, std::uint8_t label = 0);
  // Keeps the request open, to be answered through the returned handle.
  // From a function run by Deferred::complete (or on_timeout), it keeps
  // waiting with the new options; the earlier handle's completions are
  // then ignored.
  Deferred defer(DeferOptions options);

  bool answered() const { return answered_; }
  Responder(Connection& connection, std::shared_ptr<DeferredState> deferred)
      : connection_(connection), deferred_(std::move(deferred)) {}

 private:
  friend class Connection;
  Connection& connection_;
  std::shared_ptr<DeferredState> deferred_;
  bool answered_ = false;
  bool deferred_now_ = false;
};

// A request answered later. Copyable; complete() is safe from any thread.
class Deferred {
 public:
  Deferred() = default;
  explicit Deferred(std::shared_ptr<DeferredState> state) : state_(std::move(state)) {}
  // Runs fn(responder) on the request's loop thread, unless the request was
  // cancelled, timed out or answered meanwhile; fn must respond.
  void complete(std::function<void(Responder&)> fn) const;
  explicit operator bool() const { return state_ != nullptr; }

 private:
  std::shared_ptr<DeferredState> state_;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void handle(const Request& request, Responder& responder) = 0;
  // The HTTP layer refuses a request itself (400, 413, 414, 431, 501, 505,
  // or 503 past max_connections); the handler formats the answer (the
  // connection closes after it). The default sends the message as text.
  virtual void refused(int status, std::string_view message, Responder& responder);
  // A connection past http.max_connections got 503 and was closed.
  virtual void connection_refused() {}
  // The last byte of an answer to a request (not to a refused head) was
  // handed to the kernel, `took` after the request's head was complete.
  // `label` is what the answer was given with. Loop thread.
  virtual void sent(std::uint8_t label, std::chrono::steady_clock::duration took) {
    (void)label;
    (void)took;
  }
};

}  // namespace fibd::http
