// One client connection on a loop: reads request heads into its
// bufferevent's input (connection_input.cpp), parses them in place, hands each to the
// Handler, and writes the answers in request order. Requests are taken one at a time: a
// pipelined request is parsed only once the one before it is answered, so answers keep
// the order of the requests even when one is deferred and completes later.
//
// States: Reading (waiting for or receiving a head; the idle or head
// deadline applies), Waiting (a deferred request is open; the handler's
// timeout applies), Closing (answer sent or framing refused: the rest is
// written, the write side shut, the input drained for a short linger).
#pragma once

#include <event2/bufferevent.h>
#include <event2/event_struct.h>
#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "http/handler.h"
#include "http/request_parser.h"

namespace fibd::http {

class ServerLoop;

// How a Deferred reaches its loop from another thread. The loop clears it
// when it goes, so an answer that comes after that (a cache plugin
// completing a cancelled lookup late, during shutdown) is dropped instead of
// touching a destroyed loop.
struct LoopLink {
  std::mutex mutex;
  ServerLoop* loop = nullptr;  // under mutex
};

struct DeferredState {
  std::shared_ptr<LoopLink> link;
  Connection* connection = nullptr;  // loop thread only; null once over
  DeferOptions options;
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(ServerLoop& loop, int fd);  // takes the fd
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Where this connection sits in its loop's list (set by the loop).
  std::list<Connection>::iterator self;

  // Loop thread. Deadline checks (called about once a second), and while
  // the loop drains, the close of a connection idle past its bound.
  void sweep(Clock::time_point now);
  // Runs a deferred completion (from ServerLoop, on the loop thread).
  void complete(const std::shared_ptr<DeferredState>& state,
                const std::function<void(Responder&)>& fn);

 private:
  friend class Responder;
  enum class State { Reading, Waiting, Closing };

  static void on_readable(evutil_socket_t, short, void* self);
  static void on_write(bufferevent* bev, void* self);
  static void on_event(bufferevent* bev, short what, void* self);
  static void on_deferred_timeout(evutil_socket_t, short, void* self);

  // connection_input.cpp: the socket read straight into the input, one
  // read per readiness (no FIONREAD first, as a bufferevent's own reading
  // does), paused while the input holds the longest head allowed.
  void start_reading();
  void read_input();
  std::size_t input_room() const;
  void update_reading();
  void stop_reading();
  void peer_eof();  // the client closed its side

  void process();
  void dispatch(const Request& request, std::size_t head_length);
  void refuse(int status, std::string_view message);
  void answer(const Response& response, std::uint8_t label = 0);
  void finish_answer();
  Deferred defer(Responder& responder, DeferOptions options);
  void end_deferred(bool cancelled);
  void flush();
  void write_iov(iovec* iov, int count, const std::shared_ptr<const std::string>& keep);
  void after_output();
  // Tells the handler about the answers whose last byte the kernel has.
  void report_sent();
  void start_closing();
  void set_idle_deadline();
  // No byte of a next request here or in the kernel, nothing left to send.
  bool idle() const;
  // Frees the connection unless a callback of it is still on the stack (then
  // the outermost one does, via Entry).
  void close_now();

  struct Entry;  // marks a callback of this connection as running

  ServerLoop& loop_;
  bufferevent* bev_ = nullptr;
  int fd_ = -1;
  RequestParser parser_;
  State state_ = State::Reading;
  bool head_started_ = false;  // bytes of the next head have arrived
  bool served_one_ = false;    // a request was answered (idle vs first timeout)
  bool keep_alive_ = true;     // of the request being answered
  bool is_head_ = false;       // the request being answered is HEAD
  bool http10_ = false;
  bool peer_closed_ = false;  // EOF read
  bool shut_write_ = false;   // closing: write side shut down
  bool dead_ = false;         // close_now() was asked
  int depth_ = 0;             // callbacks of this connection on the stack
  Clock::time_point deadline_{Clock::time_point::max()};
  std::shared_ptr<DeferredState> deferred_;  // Waiting: the open request
  event read_event_{};
  bool read_event_added_ = false;
  event deferred_timer_{};
  bool deferred_timer_set_ = false;
  // Request latency: when the head being answered was complete (it is not
  // timed if refused), and the answers not yet wholly handed to the kernel,
  // with the position of their last byte in all this connection wrote.
  struct Unsent {
    Clock::time_point head_done;
    std::uint64_t end;
    std::uint8_t label;
  };
  Clock::time_point head_done_{};
  bool timed_ = false;
  std::uint64_t queued_bytes_ = 0;  // passed to write_iov, all told
  std::vector<Unsent> unsent_;      // capacity kept: a hit allocates nothing
  std::size_t unsent_head_ = 0;
};

}  // namespace fibd::http
