// The HTTP server: one event loop per thread, each with its connections, a
// reused output buffer and a cached Date. Connections are spread over the
// loops either by one acceptor that hands each new connection to the next
// loop in turn (Handover, the default: even, and one fd suffices, so it is
// the same with socket activation) or by every loop accepting on the shared
// socket itself (Shared). See docs/performance.md for the measurements.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/connection.h"
#include "http/event_loop.h"
#include "http/handler.h"
#include "http/http_date.h"
#include "http/libevent_ptr.h"
#include "http/limits.h"

namespace fibd::http {

class Server;

enum class AcceptMode { Handover, Shared };

// Once the server stops accepting, a connection that stays idle (no byte of
// a next request, nothing left to send) this long is closed; every other one
// closes after its next answer, which says Connection: close.
inline constexpr std::chrono::seconds kDrainIdle{1};

class ServerLoop {
 public:
  ServerLoop(Server& server, std::unique_ptr<Handler> handler);
  ~ServerLoop();

  EventLoop& loop() { return loop_; }
  event_base* base() const { return loop_.base(); }
  Handler& handler() { return *handler_; }
  const Limits& limits() const;
  bool draining() const { return draining_; }
  // Draining: when idle connections may be closed.
  std::chrono::steady_clock::time_point drain_idle_deadline() const {
    return drain_idle_deadline_;
  }

  // Loop thread: the output buffer responses are built in (capacity kept).
  std::string& scratch() { return scratch_; }
  std::string_view date();

  // Any thread: a new connection for this loop (fd owned from here on).
  void hand_over(int fd);
  // Loop thread.
  void adopt(int fd);
  void remove(Connection& connection);
  void deferred_opened() { pending_.fetch_add(1, std::memory_order_relaxed); }
  void deferred_closed() { pending_.fetch_sub(1, std::memory_order_relaxed); }
  void post_completion(std::shared_ptr<DeferredState> state,
                       std::function<void(Responder&)> fn);
  // What deferred requests reach this loop through (cleared when it goes).
  const std::shared_ptr<LoopLink>& link() const { return link_; }

  // Loop thread: accept on `fd` (the shared listening socket).
  void listen_on(int fd);
  void stop_accepting();

  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  std::size_t connections() const { return count_.load(std::memory_order_relaxed); }

 private:
  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self);
  static void on_accept_error(evconnlistener* listener, void* self);
  void take_inbox();
  void sweep();

  Server& server_;
  std::shared_ptr<LoopLink> link_;
  EventLoop loop_;
  std::unique_ptr<Handler> handler_;
  std::list<Connection> connections_;
  std::string scratch_;
  HttpDate date_;
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_idle_deadline_{};
  EventPtr drain_sweep_;  // one sweep right at drain_idle_deadline_
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> count_{0};
  ListenerPtr listener_;
  EventPtr accept_resume_;
  std::chrono::steady_clock::time_point accept_error_logged_{};
  EventPtr sweep_timer_;
  std::mutex inbox_mutex_;
  std::vector<int> inbox_;  // handed-over fds not yet adopted
};

class Server {
 public:
  // One Handler per loop, made on the constructing thread.
  using HandlerFactory = std::function<std::unique_ptr<Handler>()>;

  // listen_fd: bound, listening, non-blocking; not owned (shared with systemd).
  Server(int listen_fd, unsigned loops, const Limits& limits,
         const HandlerFactory& factory, AcceptMode mode = AcceptMode::Handover);
  ~Server();

  void start();
  // Thread-safe: no new connections; each open one closes after its next
  // answer (which says Connection: close), or once idle for kDrainIdle.
  void stop_accepting();
  // Thread-safe: some loop still has its listener (stop_accepting() is
  // asynchronous; once false, the listening socket is no longer used).
  bool listening() const { return listening_.load(std::memory_order_acquire) != 0; }
  // Thread-safe: deferred requests not yet answered, over all loops.
  std::size_t pending() const;
  std::size_t connections() const { return open_.load(std::memory_order_relaxed); }
  std::vector<std::size_t> connections_per_loop() const;
  // Runs fn with each loop's handler on that loop's thread (asynchronous).
  void for_each_handler(const std::function<void(Handler&)>& fn);
  // Stops the loops and frees every connection. Not on a loop thread.
  void stop();

  const Limits& limits() const { return limits_; }
  // A connection slot; false past max_connections (the caller refuses it).
  bool acquire_slot();
  void release_slot() { open_.fetch_sub(1, std::memory_order_relaxed); }
  bool hands_over() const { return mode_ == AcceptMode::Handover; }
  // The loop the next accepted connection goes to (Handover; acceptor thread).
  ServerLoop& next_loop();
  void listener_closed() { listening_.fetch_sub(1, std::memory_order_release); }

 private:
  Limits limits_;
  int listen_fd_;
  AcceptMode mode_;
  std::atomic<std::size_t> open_{0};
  std::atomic<unsigned> listening_{0};  // loops with a listener
  std::size_t next_ = 0;                // acceptor's loop thread only
  std::vector<std::unique_ptr<ServerLoop>> loops_;
};

}  // namespace fibd::http
