#include "connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "hiredis_connect.h"

namespace fibd_redis {

using std::chrono::duration_cast;
using std::chrono::microseconds;

namespace {

timeval to_timeval(microseconds d) {
  if (d < microseconds(1)) d = microseconds(1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(d.count() % 1'000'000);
  return tv;
}

// poll() timeout for what is left until `deadline`, rounded up so we never
// spin at 0 ms; -1 when the deadline has passed.
int poll_ms(Deadline deadline) {
  auto left = duration_cast<microseconds>(deadline - Clock::now());
  if (left <= microseconds(0)) return -1;
  return static_cast<int>(std::min<long long>((left.count() + 999) / 1000, 1'000'000));
}

// Waits for `events` on fd until the deadline. 1 ready, 0 timed out, -1 error.
int wait_fd(int fd, short events, Deadline deadline) {
  for (;;) {
    int ms = poll_ms(deadline);
    if (ms < 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return 1;   // readable/writable, or an error/hangup to be read
    if (r == 0) continue;  // re-check the clock: poll may wake a bit early
    if (errno == EINTR) continue;
    return -1;
  }
}

std::string errno_text(int e) {
  char buf[128];
  return strerror_r(e, buf, sizeof buf);
}

}  // namespace

void ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

std::string_view reply_error_text(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return {};
  return std::string_view(r->str, r->len);
}

bool unavailable_reply(std::string_view text) {
  for (std::string_view p :
       {"NOAUTH", "WRONGPASS", "NOPERM", "LOADING", "BUSY", "MASTERDOWN"})
    if (text.substr(0, p.size()) == p) return true;
  return false;
}

std::string format_command(std::span<const std::string_view> args) {
  // hiredis' sds formatter: its own number formatting, no printf per
  // argument (redisFormatCommandArgv's), which a cache hit would pay for.
  constexpr size_t kInline = 8;
  std::array<const char*, kInline> argv_inline{};
  std::array<size_t, kInline> lens_inline{};
  std::vector<const char*> argv_heap;
  std::vector<size_t> lens_heap;
  const char** argv = argv_inline.data();
  size_t* lens = lens_inline.data();
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data() != nullptr ? args[i].data() : "";
    lens[i] = args[i].size();
  }
  sds cmd = nullptr;
  const auto len =
      redisFormatSdsCommandArgv(&cmd, static_cast<int>(args.size()), argv, lens);
  if (len < 0 || cmd == nullptr) throw std::bad_alloc();
  std::string out(cmd, static_cast<size_t>(len));
  redisFreeSdsCommand(cmd);
  return out;
}

Error auth_refused(const Options& opts, std::string_view reply) {
  std::string who = opts.username.empty() ? std::string("with the configured password")
                                          : "as user '" + opts.username + "'";
  return {ErrorKind::Auth, "Redis at " + opts.address.to_string() +
                               " refused authentication " + who + ": " +
                               std::string(reply)};
}

Error select_refused(const Options& opts, std::string_view reply) {
  const std::string db = std::to_string(opts.db);
  if (reply.substr(0, 6) == "NOAUTH")
    return {ErrorKind::Auth, "Redis at " + opts.address.to_string() +
                                 " requires authentication (set option 'password'): " +
                                 std::string(reply)};
  return {ErrorKind::Select,
          "SELECT " + db + " failed (option 'db'): " + std::string(reply)};
}

std::unique_ptr<Connection> Connection::open(const Options& opts, Deadline deadline,
                                             Error& err) {
  auto left = duration_cast<microseconds>(deadline - Clock::now());
  if (left <= microseconds(0)) {
    err = {ErrorKind::Timeout, "no time left to connect to " + opts.address.to_string()};
    return nullptr;
  }
  timeval tv = to_timeval(std::min(opts.connect_timeout, left));
  // The socket timeout is a safety net only: every wait below is already
  // bounded by poll().
  redisContext* c = hiredis_connect(opts.address, tv, to_timeval(opts.command_timeout));
  if (c == nullptr) {
    err = {ErrorKind::Connect, "cannot allocate a Redis context"};
    return nullptr;
  }
  if (c->err != 0) {
    err = {ErrorKind::Connect,
           "cannot connect to Redis at " + opts.address.to_string() + ": " + c->errstr};
    redisFree(c);
    return nullptr;
  }
  std::unique_ptr<Connection> conn(new Connection(c));
  if (!opts.address.is_unix) redisEnableKeepAlive(c);

  if (!opts.password.empty()) {
    std::vector<std::string_view> args{"AUTH"};
    if (!opts.username.empty()) args.push_back(opts.username);
    args.push_back(opts.password);
    ReplyPtr r = conn->command(args, deadline, err);
    if (!r) return nullptr;
    if (auto e = reply_error_text(r.get()); !e.empty()) {
      err = auth_refused(opts, e);
      return nullptr;
    }
  }
  if (opts.db != 0) {
    std::string db = std::to_string(opts.db);
    std::string_view args[] = {"SELECT", db};
    ReplyPtr r = conn->command(args, deadline, err);
    if (!r) return nullptr;
    if (auto e = reply_error_text(r.get()); !e.empty()) {
      err = select_refused(opts, e);
      return nullptr;
    }
  }
  return conn;
}

Connection::~Connection() { redisFree(c_); }

void Connection::fail(Error& err, ErrorKind kind, std::string message) {
  broken_ = true;
  err = {kind, std::move(message)};
}

bool Connection::send_all(const char* data, size_t len, Deadline deadline, Error& err) {
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = ::send(c_->fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(c_->fd, POLLOUT, deadline);
      if (w == 1) continue;
      if (w == 0) {
        fail(err, ErrorKind::Timeout, "timed out sending to Redis");
        return false;
      }
      fail(err, ErrorKind::Io, "poll failed: " + errno_text(errno));
      return false;
    }
    fail(err, ErrorKind::Io,
         "write to Redis failed: " + errno_text(n < 0 ? errno : EPIPE));
    return false;
  }
  return true;
}

ReplyPtr Connection::read_reply(Deadline deadline, Error& err) {
  for (;;) {
    void* reply = nullptr;
    if (redisGetReplyFromReader(c_, &reply) != REDIS_OK) {
      fail(err, ErrorKind::Protocol, std::string("bad reply from Redis: ") + c_->errstr);
      return nullptr;
    }
    if (reply != nullptr) return ReplyPtr(static_cast<redisReply*>(reply));
    int w = wait_fd(c_->fd, POLLIN, deadline);
    if (w == 0) {
      fail(err, ErrorKind::Timeout, "timed out waiting for Redis to answer");
      return nullptr;
    }
    if (w < 0) {
      fail(err, ErrorKind::Io, "poll failed: " + errno_text(errno));
      return nullptr;
    }
    if (redisBufferRead(c_) != REDIS_OK) {
      fail(err, ErrorKind::Io, std::string("connection to Redis lost: ") + c_->errstr);
      return nullptr;
    }
  }
}

bool Connection::has_unread_input() const {
  if (c_->reader != nullptr && c_->reader->pos < c_->reader->len) return true;
  pollfd p{c_->fd, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
  }
  return r > 0;
}

ReplyPtr Connection::command(std::span<const std::string_view> args, Deadline deadline,
                             Error& err) {
  if (broken_) {
    err = {ErrorKind::Io, "connection already broken"};
    return nullptr;
  }
  // Input after an answer, before our command, is a reply to no command (or
  // Redis closed the connection): every answer read on it would belong to
  // the command before. (Before the first command it is Redis speaking
  // first, as at maxclients; it is read as the answer, which says why.)
  if (answered_ && has_unread_input()) {
    fail(err, ErrorKind::Io,
         "connection to Redis dropped: it holds input no command asked for (a stray "
         "reply, or the connection was closed)");
    return nullptr;
  }
  std::string cmd;
  try {
    cmd = format_command(args);
  } catch (const std::bad_alloc&) {
    err = {ErrorKind::Protocol, "cannot format the Redis command (out of memory)"};
    return nullptr;
  }
  if (!send_all(cmd.data(), cmd.size(), deadline, err)) return nullptr;
  ReplyPtr reply = read_reply(deadline, err);
  answered_ = reply != nullptr;
  return reply;
}

}  // namespace fibd_redis
