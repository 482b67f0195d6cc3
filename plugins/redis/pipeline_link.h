// One pipelined connection to Redis (a hiredis redisAsyncContext on the I/O
// thread's event base): connected on demand, AUTH and SELECT written first,
// then any number of commands in flight at once. Each command has a timer
// (its call's deadline, then command_timeout); a command Redis leaves
// unanswered for command_timeout resets the connection, and every command
// still on it fails with the reason. I/O thread only, except the counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "async_call.h"
#include "connection.h"
#include "options.h"
#include "pipeline_command.h"
#include "reply_guard.h"

struct event;
struct event_base;
struct redisAsyncContext;

namespace fibd_redis {

// Shared by the links of one pipeline; read from any thread.
struct PipelineCounters {
  std::atomic<uint64_t> connects{0};          // connections established
  std::atomic<uint64_t> connect_failures{0};  // attempts that failed or timed out
  std::atomic<uint64_t> discarded{0};         // connections closed after an error
  std::atomic<uint64_t> in_flight{0};         // commands written, not answered
  std::atomic<uint64_t> unsolicited{0};       // replies to no command (reset)
};

class PipelineLink final : public UnsolicitedReplyListener {
 public:
  PipelineLink(const Options& opts, event_base* base, const HostClock& clock,
               PipelineHandler& handler, PipelineCounters& counters);
  // Closes the connection: commands still on it fail (ErrorKind::Closed).
  ~PipelineLink();
  PipelineLink(const PipelineLink&) = delete;
  PipelineLink& operator=(const PipelineLink&) = delete;

  // Writes `cmd` on this connection, opening it first when there is none.
  // false + err when it cannot: `cmd` is left with the caller.
  bool send(std::unique_ptr<Command>& cmd, Error& err);
  // Opens the connection now if there is none (errors are counted only).
  void connect_now();
  // Closes the connection; every command on it fails with `why`.
  void reset(Error why);

  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  void on_unsolicited_reply(redisAsyncContext* ac) override;
  uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  bool connect(Error& err);
  bool write(std::unique_ptr<Command>& cmd, Error& err);
  void write_handshake();
  void arm_timer(Command& cmd);
  Error lost(const redisAsyncContext* ac) const;
  void on_handshake_reply(const Command& cmd, const void* reply);

  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_connect_timeout(int fd, short what, void* self);
  static void on_command_timer(int fd, short what, void* cmd);

  const Options& opts_;
  event_base* const base_;
  const HostClock& clock_;
  PipelineHandler& handler_;
  PipelineCounters& counters_;
  event* connect_timer_ = nullptr;
  redisAsyncContext* ac_ = nullptr;  // null: no connection (or one going away)
  Error down_reason_;                // why the commands on a closing one fail
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> in_flight_{0};
};

}  // namespace fibd_redis
