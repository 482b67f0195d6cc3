// One pipelined connection to one Redis node, driven by one event loop's
// watches (watches.h): a hiredis async context opened on demand with AUTH
// and SELECT written first, any number of commands in flight, the replies
// handed to the handler, and the reason every command on it fails when it
// goes. The commands of one loop iteration go out in one write: a command
// activates the watch instead of waiting for the socket to be writable.
//
// A Redis that answers nothing for command_timeout while commands wait
// resets the connection: noticed at the loop's next event for the link, or
// by the watch's timeout. A connect that takes longer than connect_timeout
// fails. A call's own deadline is the host's to keep: it cancels the call
// then (see "Asynchronous get and set").
//
// The loop's thread only, except the counters and the destructor: any
// thread, once no call is being made any more.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "command.h"
#include "host_metrics.h"
#include "reply_guard.h"
#include "target.h"
#include "watches.h"

struct redisAsyncContext;

namespace fibd_redis {

// Shared by the links of one plugin instance; read from any thread.
struct LinkCounters {
  explicit LinkCounters(const HostMetrics& m)
      : connects(m, "connects"),
        connect_failures(m, "connect_failures"),
        discarded(m, "connections_discarded"),
        unsolicited(m, "unsolicited_replies"),
        up(m, "connections") {}

  EventCount connects;                 // connections established
  EventCount connect_failures;         // attempts that failed or timed out
  EventCount discarded;                // connections closed after an error
  std::atomic<uint64_t> in_flight{0};  // commands written, not answered
  EventCount unsolicited;              // replies to no command (reset)
  EventLevel up;                       // connections established now
};

// What every link of an instance shares.
struct LinkContext {
  const Options& opts;
  const HostClock& clock;
  LinkHandler& handler;
  LinkCounters& counters;
  const HostMetrics& metrics;
};

class Link final : public UnsolicitedReplyListener {
 public:
  using Push = std::function<void(const redisReply*)>;

  // `generation`: of the master's address `to` names (sentinel mode).
  Link(const LinkContext& ctx, Endpoint to, const Watches& watches, fibd_cache_loop* loop,
       uint64_t generation = 0);
  // Silences the watch, then closes the connection: commands still on it
  // fail (ErrorKind::Closed) on the calling thread.
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Writes `cmd` on this connection, opening it first when there is none.
  // false + err when it cannot: `cmd` is left with the caller.
  bool send(std::unique_ptr<Command>& cmd, Error& err);
  // Closes the connection; every command on it fails with `why`.
  void reset(Error why);
  // From now on the link connects to `to` (closing the connection to
  // another node first).
  void retarget(const Endpoint& to, uint64_t generation);
  // retarget() when `target` changed since.
  void follow(const Target& target) {
    if (target.generation() == generation_) return;
    uint64_t generation = 0;
    const Endpoint to = target.endpoint(generation);
    retarget(to, generation);
  }
  // SUBSCRIBE `channel` (opening the connection first); `push` gets every
  // message, and nullptr once the connection is gone. false + err when it
  // cannot start.
  bool subscribe(std::string_view channel, Push push, Error& err);

  const Endpoint& endpoint() const { return endpoint_; }
  uint64_t generation() const { return generation_; }
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  void on_unsolicited_reply(redisAsyncContext* ac) override;

  // The circuit breaker of the node this link goes to, kept here by the
  // cache so that a call on a loop finds it without a lock.
  Breaker* breaker = nullptr;

 private:
  // One connection's socket and its watch: hiredis' adapter data, freed
  // with the context (hiredis may free a context after the link has moved
  // on to the next one).
  struct Socket {
    Link* link;
    fibd_cache_watch* watch = nullptr;
    uint32_t want = 0;           // FIBD_CACHE_WATCH_READ/WRITE hiredis asked for
    bool flush_pending = false;  // the watch is activated to write
    bool flushing = false;       // hiredis writes: a partial write waits
    bool quiet = false;          // the loop refused the watch: it has stopped
    bool short_timer = false;    // the timeout is the rest of a wait, not the period
  };

  bool connect(Error& err);
  bool attach(redisAsyncContext* ac, std::string& why);
  bool write(std::unique_ptr<Command>& cmd, Error& err);
  // Fails the commands held until ROLE said "master".
  void fail_held(const Error& why);
  void deliver(Command& cmd, const redisReply* reply, const Error& err);
  Error lost(const redisAsyncContext* ac) const;
  void connect_failed(Error why);
  void set_connected(bool up);

  void want(Socket& s, uint32_t event, bool on);
  void apply(Socket& s);  // the watch's events and timeout, from the state
  void drop_watch(Socket& s);
  // Commands wait, and Redis has answered none for command_timeout.
  bool stalled() const;
  void on_event(Socket& s, uint32_t events);

  static Link* link_of(const redisAsyncContext* ac);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_push(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_watch(void* socket, uint32_t events);
  // hiredis' event-library adapter, on the watch.
  static void add_read(void* socket);
  static void del_read(void* socket);
  static void add_write(void* socket);
  static void del_write(void* socket);
  static void cleanup(void* socket);

  const LinkContext ctx_;
  Endpoint endpoint_;
  std::string where_;  // endpoint_'s address as text, for messages
  uint64_t generation_;
  bool ready_ = true;                           // ROLE said "master", or is not asked
  std::vector<std::unique_ptr<Command>> held_;  // written once ready_
  Push push_;
  bool subscribed_ = false;  // SUBSCRIBE confirmed
  const Watches& watches_;
  fibd_cache_loop* const loop_;
  redisAsyncContext* ac_ = nullptr;  // null: no connection (or one going away)
  Socket* socket_ = nullptr;         // ac_'s
  bool connecting_ = false;
  uint64_t waiting_since_ns_ = 0;  // last answer, or the first command after none
  Error down_reason_;              // why the commands on a closing one fail
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> in_flight_{0};
  std::mutex callback_mu_;            // held by a running on_event()
  std::atomic<bool> closing_{false};  // the destructor has begun
};

}  // namespace fibd_redis
