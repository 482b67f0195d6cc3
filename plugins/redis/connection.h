// One Redis connection (a blocking hiredis context) whose every command is
// bounded by a deadline: commands are written with send(MSG_NOSIGNAL) and
// replies read after poll(), so neither a dead nor a frozen Redis can hold a
// caller past the deadline, and a closed socket never raises SIGPIPE.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "options.h"

struct redisContext;
struct redisReply;

namespace fibd_redis {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

enum class ErrorKind {
  None,
  Connect,   // connect() failed (refused, unreachable, no such socket, ...)
  Io,        // the connection broke (reset, closed by Redis, ...)
  Timeout,   // the deadline passed
  Protocol,  // Redis sent something hiredis could not parse
  Auth,      // AUTH refused, or Redis wants a password we do not have
  Select,    // SELECT db refused
  Busy,      // every pooled connection stayed busy until the deadline
  Reply,     // Redis answered with an error reply
  Closed,    // the plugin instance is being destroyed
};

struct Error {
  ErrorKind kind = ErrorKind::None;
  std::string message;
};

struct ReplyDeleter {
  void operator()(redisReply* r) const;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

class Connection {
 public:
  // Connects (within min(connect_timeout, time left)) and runs AUTH and
  // SELECT as configured, all before `deadline`. nullptr + err on failure.
  static std::unique_ptr<Connection> open(const Options& opts, Deadline deadline,
                                          Error& err);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply before `deadline`. Error replies
  // from Redis are returned as replies (REDIS_REPLY_ERROR); nullptr + err
  // means the connection failed and is now broken().
  ReplyPtr command(std::span<const std::string_view> args, Deadline deadline, Error& err);

  bool broken() const { return broken_; }

 private:
  explicit Connection(redisContext* c) : c_(c) {}
  bool send_all(const char* data, size_t len, Deadline deadline, Error& err);
  ReplyPtr read_reply(Deadline deadline, Error& err);
  bool has_unread_input() const;
  void fail(Error& err, ErrorKind kind, std::string message);

  redisContext* c_;
  bool broken_ = false;
  bool answered_ = false;  // a command has had its reply on it
};

// The text of an error reply, or "" when `r` is not one.
std::string_view reply_error_text(const redisReply* r);

// Error replies that mean Redis cannot serve us at all right now (as opposed
// to one bad command): they count as failures for the circuit breaker.
bool unavailable_reply(std::string_view text);

// `args` as one RESP command (binary-safe). Throws std::bad_alloc.
std::string format_command(std::span<const std::string_view> args);

// Redis refused AUTH (`reply` is its error text), or SELECT of option 'db':
// the error create() reports and a connection that fails its handshake uses.
Error auth_refused(const Options& opts, std::string_view reply);
Error select_refused(const Options& opts, std::string_view reply);

}  // namespace fibd_redis
