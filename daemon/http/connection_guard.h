// Limits on request heads that evhttp 2.1 does not enforce, or not the way
// HTTP asks.
//
// Time: evhttp's read timeout restarts on every byte, so a client trickling
// a header byte per second would hold a connection forever (slowloris), and
// idle keep-alive connections would pile up. The guard gives every connection
// `timeout` to deliver a complete request head, counted from accept or from
// the previous response, and shuts down connections that miss it.
//
// Size: evhttp answers an oversized head with 400 or 413 (after buffering it
// up to its own limit). The guard watches the bytes as they arrive, before
// evhttp parses them: a request line longer than `max_request_line` gets
// 414 URI Too Long, a head longer than `max_head` 431 Request Header Fields
// Too Large, both with Connection: close. The rest of what the client sends
// is read and dropped for a short linger so the answer is not lost to a
// reset, then the connection closes. Nothing more than the limits is ever
// buffered for a head.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>

#include "http/libevent_ptr.h"

namespace fibd {

struct HeadLimits {
  std::chrono::milliseconds timeout{15000};
  std::size_t max_request_line = 8 * 1024;  // method, target, version, CRLF
  std::size_t max_head = 16 * 1024;         // request line and headers
};

class ConnectionGuard {
 public:
  // on_reject(status) is told of every 414/431 sent (for metrics).
  ConnectionGuard(event_base* base, const HeadLimits& limits,
                  std::function<void(int)> on_reject = {});
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // A new connection's bufferevent (from evhttp's bevcb). The guard holds a
  // reference so the fd cannot be closed and reused behind its back.
  void track(bufferevent* bev);
  // A request head arrived: no deadline while it is being answered.
  // Returns true for the first request of the connection.
  bool request_started(bufferevent* bev);
  // The response is about to go out; the next request head must come within
  // the timeout, and is counted from here.
  void response_sent(bufferevent* bev);
  // The response went out (or is queued): checks a pipelined head that is
  // already waiting in the input. Separate from response_sent() because a
  // refusal must follow the answer on the wire, and evhttp may start on the
  // next request as soon as the answer is written.
  void response_queued(bufferevent* bev);
  // evhttp is freeing the connection: drop our reference now.
  void closing(bufferevent* bev);
  // Shutdown: ends every connection that is not being answered. One still
  // sending its last answer stops reading only, and ends once it is sent.
  void shut_idle();

 private:
  struct Conn {
    ConnectionGuard* guard = nullptr;
    bufferevent* bev = nullptr;
    evbuffer_cb_entry* input_cb = nullptr;
    std::chrono::steady_clock::time_point deadline;
    bool busy = false;      // a request is being answered
    bool shut = false;      // shutdown() done
    bool seen = false;      // a request arrived on it
    bool rejected = false;  // 414/431 sent: input is dropped until close
    // The head being received (reset by response_sent()).
    std::size_t head_bytes = 0;  // up to its end, or so far
    std::size_t line_bytes = 0;  // of the request line, or so far
    bool line_done = false;
    bool head_done = false;
    bool after_newline = false;  // the last byte was '\n' (CRs ignored)
  };

  static void on_input(evbuffer* buffer, const evbuffer_cb_info* info, void* arg);
  // Counts head bytes from offset `from` of the input and rejects the
  // connection if a limit is passed.
  void inspect(Conn& c, evbuffer* input, std::size_t from);
  void reject(Conn& c, int status);
  void sweep();
  void forget(Conn& c);

  HeadLimits limits_;
  std::function<void(int)> on_reject_;
  std::unordered_map<bufferevent*, std::unique_ptr<Conn>> conns_;
  EventPtr sweep_timer_;
};

}  // namespace fibd
