// Deadlines evhttp 2.1 does not enforce. Its read timeout restarts on every
// byte, so a client trickling a header byte per second would hold a
// connection forever (slowloris), and idle keep-alive connections would pile
// up. The guard gives every connection `head_timeout` to deliver a complete
// request head, counted from accept or from the previous response, and shuts
// down connections that miss it.
#pragma once

#include <event2/bufferevent.h>

#include <chrono>
#include <cstddef>
#include <unordered_map>

#include "libevent_ptr.h"

namespace fibd {

class ConnectionGuard {
 public:
  ConnectionGuard(event_base* base, std::chrono::milliseconds head_timeout);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // A new connection's bufferevent (from evhttp's bevcb). The guard holds a
  // reference so the fd cannot be closed and reused behind its back.
  void track(bufferevent* bev);
  // A request head arrived: no deadline while it is being answered.
  void request_started(bufferevent* bev);
  // The response went out; the next request head must come within the timeout.
  void response_sent(bufferevent* bev);
  // evhttp is freeing the connection: drop our reference now.
  void closing(bufferevent* bev);

  std::size_t tracked() const { return conns_.size(); }

 private:
  struct Conn {
    std::chrono::steady_clock::time_point deadline;
    bool busy = false;
    bool shut = false;
  };
  void sweep();
  static void release(bufferevent* bev);

  std::chrono::milliseconds head_timeout_;
  std::unordered_map<bufferevent*, Conn> conns_;
  EventPtr sweep_timer_;
};

}  // namespace fibd
