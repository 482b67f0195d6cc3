// One command on its way to Redis and back: formatted on the calling
// thread, written on a link's connection, answered (or failed) exactly once.
// Also the errors a command can end with, and what the plugin reads in
// Redis' error replies.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "async_call.h"
#include "options.h"

struct redisReply;

namespace fibd_redis {

struct Breaker;

using Clock = std::chrono::steady_clock;

enum class ErrorKind {
  None,
  Connect,    // connect() failed (refused, unreachable, no such socket, ...)
  Io,         // the connection broke (reset, closed by Redis, ...)
  Timeout,    // Redis left a command unanswered for command_timeout
  Protocol,   // Redis sent something no command asked for
  Auth,       // AUTH refused, or Redis wants a password we do not have
  Select,     // SELECT db refused
  Reply,      // Redis answered with an error reply
  NotMaster,  // the node is a replica, or no master is known
  Closed,     // the plugin instance is being destroyed
};

struct Error {
  ErrorKind kind = ErrorKind::None;
  std::string message;
};

// A reply copied out of hiredis (which frees its own after the callback),
// for the calls that wait for it on another thread.
struct Reply {
  int type = 0;  // REDIS_REPLY_*
  std::string str;
  long long integer = 0;
  std::vector<Reply> element;

  static Reply copy(const redisReply& r);
  std::string_view error_text() const;  // "" unless an error reply
};

// A synchronous command's outcome, waited for by the caller.
class SyncResult {
 public:
  SyncResult() = default;
  // `then` runs once finished, on the thread that finishes it.
  explicit SyncResult(std::function<void(const SyncResult&)> then)
      : then_(std::move(then)) {}
  void finish(const redisReply* reply, const Error& err);
  // True once finished (then reply() or error() is the outcome).
  bool wait_until(Clock::time_point deadline);
  bool done() const;
  const Reply& reply() const { return reply_; }
  const Error& error() const { return error_; }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Reply reply_;
  Error error_;
  std::function<void(const SyncResult&)> then_;
};

// One node to connect to, and how to greet it.
struct Endpoint {
  Address address;
  std::string username, password;  // AUTH when the password is set
  int db = 0;                      // SELECT when not 0
  bool master_only = false;        // ROLE first; nothing else goes to a replica
};

struct Command {
  // Asking: cluster mode's ASKING before a command redirected by ASK; its
  // reply is dropped. Raw: the reply goes to `raw` as hiredis gives it.
  enum class Kind { Get, Set, Auth, Select, Role, Sync, Asking, Raw };
  using RawHandler = std::function<void(const redisReply*, const Error&)>;

  Command(Kind k, std::string resp, std::shared_ptr<AsyncCall> c)
      : kind(k), bytes(std::move(resp)), call(std::move(c)) {}
  Command(std::string resp, std::shared_ptr<SyncResult> s)
      : kind(Kind::Sync), bytes(std::move(resp)), sync(std::move(s)) {}
  Command(std::string resp, RawHandler r)
      : kind(Kind::Raw), bytes(std::move(resp)), raw(std::move(r)) {}

  const Kind kind;
  std::string bytes;                       // the command in RESP
  const std::shared_ptr<AsyncCall> call;   // get and set
  const std::shared_ptr<SyncResult> sync;  // del, clear, create()'s check
  const RawHandler raw;
  // Cluster mode: the node it goes to, and how often it was redirected.
  std::optional<Address> node;
  int redirects = 0;
  bool asking = false;  // ASKING goes first
  // The fibd loop whose link it went on; nullptr: the own loop's.
  fibd_cache_loop* loop = nullptr;
  // The circuit breaker it was admitted by (breakers.h); nullptr: none yet.
  Breaker* breaker = nullptr;
};

// What a link tells its user about get and set (on the link's loop thread).
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  // Exactly once per command with a call: Redis' reply (err.kind None;
  // error replies included), or why there is none.
  virtual void on_result(Command& cmd, const redisReply* reply, const Error& err) = 0;
  // A connection is being reset for a reason no command's result carries
  // (Redis sent a reply to no command); its commands fail through
  // on_result as well. `node`: the link's.
  virtual void on_connection_error(const Address& node, const Error& why) = 0;
};

// AUTH, SELECT and ROLE as `to` asks for them, in that order: the first
// commands on every fresh connection.
std::vector<std::unique_ptr<Command>> handshake_commands(const Endpoint& to);
// Why the connection to `to` must go after its reply to one of those;
// Error None when the reply is no refusal.
Error handshake_refusal(const Endpoint& to, const Command& cmd, const redisReply* reply);

// The text of an error reply, or "" when `r` is not one.
std::string_view reply_error_text(const redisReply* r);

// Error replies that mean Redis cannot serve us at all right now (as opposed
// to one bad command): they count as failures for the circuit breaker.
bool unavailable_reply(std::string_view text);

// `args` as one RESP command (binary-safe). Throws std::bad_alloc.
std::string format_command(std::span<const std::string_view> args);

// Redis at `where` refused AUTH (`reply` is its error text), or SELECT of
// option 'db'.
Error auth_refused(const std::string& username, const std::string& where,
                   std::string_view reply);
Error select_refused(int db, const std::string& where, std::string_view reply);

}  // namespace fibd_redis
