// The HTTP front: several event-loop threads, each with its own evhttp bound
// to the same listening socket (the kernel hands each accepted connection to
// one of them). Requests are handed to a per-loop RequestHandler on that
// loop's thread; evhttp is never touched from any other thread.
#pragma once

#include <event2/http.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "http/connection_guard.h"
#include "http/event_loop.h"

namespace fibd {

struct HttpLimits {
  std::size_t max_request_line = 8 * 1024;   // longer: 414 (see ConnectionGuard)
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers; longer: 431
  std::size_t max_body_bytes = 16 * 1024;
  std::chrono::milliseconds head_timeout{15000};  // see ConnectionGuard
  std::chrono::milliseconds io_timeout{30000};    // evhttp's idle read/write timeout
  // After accept() fails for lack of file descriptors (or memory), new
  // connections wait in the kernel's backlog this long before the next try.
  std::chrono::milliseconds accept_pause{100};
};

class HttpLoop;

// Lives on one loop; all calls happen on that loop's thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(evhttp_request* req) = 0;
  // evhttp is freeing `conn` (client gone, error, shutdown). Any request of
  // it that the handler still holds must be forgotten, not answered.
  virtual void connection_closing(evhttp_connection* conn) = 0;
  // Requests accepted but not yet answered. Thread-safe (read by shutdown).
  virtual std::size_t pending() const = 0;
  // A request head was refused before evhttp saw it (414 or 431 sent).
  virtual void rejected(int /*status*/) {}
};

class HttpLoop {
 public:
  HttpLoop(int listen_fd, const HttpLimits& limits);
  ~HttpLoop();

  EventLoop& loop() { return loop_; }
  event_base* base() const { return loop_.base(); }

  // Sends a response and frees the request (evhttp does). body may be null.
  void reply(evhttp_request* req, int code, const char* reason, evbuffer* body);

  // Installed before start(); then owned by the loop.
  void set_handler(std::unique_ptr<RequestHandler> handler) {
    handler_ = std::move(handler);
  }
  RequestHandler& handler() { return *handler_; }

  void start() { loop_.start(); }
  // On the loop thread, for shutdown: stop accepting new connections, close
  // the idle ones, and answer the requests still coming with
  // "Connection: close", so the connections end as their last answer goes.
  void stop_accepting();

 private:
  static void on_request(evhttp_request* req, void* self);
  static bufferevent* on_new_connection(event_base* base, void* self);
  static void on_connection_close(evhttp_connection* conn, void* self);
  static void on_accept_error(evconnlistener* listener, void* self);
  void write_now(bufferevent* bev);

  EventLoop loop_;
  EvhttpPtr http_;
  ListenerPtr listener_;
  evhttp_bound_socket* bound_ = nullptr;  // owned by http_
  std::unique_ptr<ConnectionGuard> guard_;
  std::chrono::milliseconds accept_pause_;
  EventPtr accept_resume_;  // re-enables the listener after a failed accept()
  std::chrono::steady_clock::time_point accept_error_logged_{};
  std::uint64_t accept_errors_unlogged_ = 0;
  std::unique_ptr<RequestHandler> handler_;
  bool draining_ = false;  // stop_accepting() was called
  friend class HttpServer;
};

class HttpServer {
 public:
  using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(HttpLoop&)>;

  // listen_fd: a bound, listening, non-blocking socket; not owned.
  HttpServer(int listen_fd, unsigned loops, const HttpLimits& limits,
             const HandlerFactory& factory);
  ~HttpServer();

  void start();
  // Thread-safe. New connections are refused from now on, idle ones closed,
  // and every connection closes after its next answer.
  void stop_accepting();
  // Thread-safe. Requests accepted and not yet answered, over all loops.
  std::size_t pending();
  // Runs fn on every loop thread (thread-safe, asynchronous).
  void for_each_loop(const std::function<void(HttpLoop&)>& fn);
  // Stops the loops and frees every connection. Not on a loop thread.
  void stop();

 private:
  std::vector<std::unique_ptr<HttpLoop>> loops_;
};

}  // namespace fibd
