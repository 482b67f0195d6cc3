// One command on its way through the pipeline: formatted on the calling
// thread, queued, written on a connection by the I/O thread, answered (or
// failed) exactly once, and its timer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "async_call.h"
#include "connection.h"

struct event;
struct redisReply;

namespace fibd_redis {

class PipelineLink;

struct Command {
  enum class Kind { Get, Set, Auth, Select };

  Command(Kind k, std::string resp, std::shared_ptr<AsyncCall> c, uint64_t now_ns)
      : kind(k), bytes(std::move(resp)), call(std::move(c)), submitted_ns(now_ns) {}
  ~Command();
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  const Kind kind;
  std::string bytes;                      // the command in RESP; freed once written
  const std::shared_ptr<AsyncCall> call;  // null for AUTH/SELECT
  const uint64_t submitted_ns;            // host clock

  // The connection's thread only.
  PipelineLink* link = nullptr;  // null on a LoopLink's connection
  event* timer = nullptr;
  bool timer_at_host_deadline = false;  // command_timeout's turn comes after
  bool reported = false;                // the handler has had its outcome
};

// AUTH and SELECT as the options ask for them, in that order: the first
// commands on every fresh asynchronous connection.
std::vector<std::unique_ptr<Command>> handshake_commands(const Options& opts,
                                                         uint64_t now_ns);
// Why a connection must go after Redis' reply (nullptr: none came) to one
// of those; Error None when the reply is no refusal.
Error handshake_refusal(const Options& opts, const Command& cmd, const redisReply* reply);
// Why the commands on a connection fail when Redis sent a reply to none.
Error unsolicited_reply_error(const Options& opts);

// What the pipeline tells its user about commands with a call.
class PipelineHandler {
 public:
  virtual ~PipelineHandler() = default;
  // Exactly once per command with a call, on the I/O thread: Redis' reply
  // (err.kind None; error replies included), or why there is none.
  virtual void on_result(Command& cmd, const redisReply* reply, const Error& err) = 0;
  // The call's own deadline passed before the reply; the command stays in
  // flight (its reply, if it comes, is still reported by on_result).
  virtual void on_deadline(Command& cmd) = 0;
  // A connection is being reset for a reason no command's result carries
  // (Redis sent a reply to no command); the commands on it fail with `why`
  // through on_result as well.
  virtual void on_connection_error(const Error& why) = 0;
};

}  // namespace fibd_redis
