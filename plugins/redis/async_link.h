// What every pipelined connection to Redis shares, whichever event loop
// drives it (the plugin's I/O thread: PipelineLink; one of the host's
// loops: LoopLink): a hiredis async context opened on demand with AUTH and
// SELECT written first, any number of commands in flight, the replies
// handed to the handler, and the reason every command on a connection
// fails when it goes. The derived link attaches the context to its loop
// and keeps the time.
//
// The driving loop's thread only, except the counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "async_call.h"
#include "connection.h"
#include "options.h"
#include "pipeline_command.h"
#include "reply_guard.h"

struct redisAsyncContext;

namespace fibd_redis {

// Shared by the links of one plugin instance; read from any thread.
struct PipelineCounters {
  std::atomic<uint64_t> connects{0};          // connections established
  std::atomic<uint64_t> connect_failures{0};  // attempts that failed or timed out
  std::atomic<uint64_t> discarded{0};         // connections closed after an error
  std::atomic<uint64_t> in_flight{0};         // commands written, not answered
  std::atomic<uint64_t> unsolicited{0};       // replies to no command (reset)
};

class AsyncLink : public UnsolicitedReplyListener {
 public:
  AsyncLink(const AsyncLink&) = delete;
  AsyncLink& operator=(const AsyncLink&) = delete;

  // Writes `cmd` on this connection, opening it first when there is none.
  // false + err when it cannot: `cmd` is left with the caller.
  bool send(std::unique_ptr<Command>& cmd, Error& err);
  // Closes the connection; every command on it fails with `why`.
  void reset(Error why);

  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  void on_unsolicited_reply(redisAsyncContext* ac) override;

 protected:
  AsyncLink(const Options& opts, const HostClock& clock, PipelineHandler& handler,
            PipelineCounters& counters);
  ~AsyncLink() = default;  // the derived link resets before its parts go

  // Opens a context, attaches it and writes the handshake. false + err
  // when it could not even start.
  bool connect(Error& err);
  // Puts the context on the link's loop; false + why when it cannot.
  virtual bool attach(redisAsyncContext* ac, std::string& why) = 0;
  // The context is attached and set up; the connect is under way.
  virtual void connect_started() = 0;
  // hiredis reports the connect's end (before the failed one is freed).
  virtual void connect_ended(bool ok) = 0;
  // `cmd` is on the connection now (hiredis holds it).
  virtual void written(Command& cmd) = 0;
  // The connection is being closed (before hiredis frees it).
  virtual void closing() = 0;

  // A failed connect: counted, and what the commands on it fail with.
  void connect_failed(Error why);

  const Options& opts_;
  const HostClock& clock_;
  PipelineHandler& handler_;
  PipelineCounters& counters_;
  redisAsyncContext* ac_ = nullptr;  // null: no connection (or one going away)

 private:
  bool write(std::unique_ptr<Command>& cmd, Error& err);
  Error lost(const redisAsyncContext* ac) const;

  static AsyncLink* link_of(const redisAsyncContext* ac);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);

  Error down_reason_;  // why the commands on a closing one fail
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> in_flight_{0};
};

}  // namespace fibd_redis
