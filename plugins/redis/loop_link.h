// One pipelined connection to Redis driven by one of the host's event loops
// (fibd_cache_host's watches): the loop thread that makes a get writes it,
// reads the reply and completes the call, with no thread in between. The
// commands of one loop iteration go out in one write: a command activates
// the watch instead of waiting for the socket to be writable.
//
// A Redis that answers nothing for command_timeout while commands wait
// resets the connection: noticed at the loop's next event for the link, or
// by the watch's timeout, which repeats every command_timeout (so within
// twice command_timeout on a quiet loop). A connect that takes longer than
// connect_timeout fails. A call's own deadline is the host's to keep:
// it cancels the call then (see "Asynchronous get and set").
//
// The loop's thread only, except the destructor: any thread, once no call
// is being made any more.
#pragma once

#include <fibd/cache_plugin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "async_link.h"

struct redisAsyncContext;

namespace fibd_redis {

// The host's watch services, when it offers them.
class HostWatches {
 public:
  explicit HostWatches(const fibd_cache_host* host);
  bool offered() const { return host_ != nullptr; }
  fibd_cache_watch* make(fibd_cache_loop* loop, int fd, fibd_cache_watch_fn fn,
                         void* arg) const;
  bool set(fibd_cache_watch* w, uint32_t events, uint64_t timeout_ns) const;
  bool activate(fibd_cache_watch* w) const;
  void free(fibd_cache_watch* w) const;

 private:
  const fibd_cache_host* host_ = nullptr;  // null: no watches
};

class LoopLink final : public AsyncLink {
 public:
  LoopLink(const Options& opts, const HostWatches& watches, fibd_cache_loop* loop,
           const HostClock& clock, PipelineHandler& handler, PipelineCounters& counters);
  // Silences the watch, then closes the connection: commands still on it
  // fail (ErrorKind::Closed) on the calling thread.
  ~LoopLink();

 private:
  // One connection's socket and its watch: hiredis' adapter data, freed
  // with the context (hiredis may free a context after the link has moved
  // on to the next one).
  struct Socket {
    LoopLink* link;
    fibd_cache_watch* watch = nullptr;
    uint32_t want = 0;           // FIBD_CACHE_WATCH_READ/WRITE hiredis asked for
    bool flush_pending = false;  // the watch is activated to write
    bool flushing = false;       // hiredis writes: a partial write waits
    bool quiet = false;          // the loop refused the watch: it has stopped
    bool short_timer = false;    // the timeout is the rest of a wait, not the period
  };

  bool attach(redisAsyncContext* ac, std::string& why) override;
  void connect_started() override;
  void connect_ended(bool ok) override;
  void written(Command& cmd) override;
  void closing() override;

  void want(Socket& s, uint32_t event, bool on);
  void apply(Socket& s);  // the watch's events and timeout, from the state
  void drop_watch(Socket& s);
  // Commands wait, and Redis has answered none for command_timeout.
  bool stalled() const;

  static void on_event(void* self, uint32_t events);
  // hiredis' event-library adapter, on the watch.
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  const HostWatches& watches_;
  fibd_cache_loop* const loop_;
  Socket* socket_ = nullptr;  // ac_'s
  bool connecting_ = false;
  uint64_t waiting_since_ns_ = 0;     // last answer, or the first command after none
  std::mutex callback_mu_;            // held by a running on_event()
  std::atomic<bool> closing_{false};  // the destructor has begun
};

}  // namespace fibd_redis
