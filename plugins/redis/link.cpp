#include "link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

namespace {

uint64_t to_ns(std::chrono::microseconds d) {
  return static_cast<uint64_t>(d.count()) * 1000;
}

}  // namespace

Link::Link(const LinkContext& ctx, Endpoint to, const Watches& watches,
           fibd_cache_loop* loop, uint64_t generation)
    : ctx_(ctx),
      endpoint_(std::move(to)),
      where_(endpoint_.address.to_string()),
      generation_(generation),
      watches_(watches),
      loop_(loop) {}

Link::~Link() {
  // A callback that holds the lock runs to its end first: the loop may still
  // be in the hiredis callbacks that completed the last call. Later ones see
  // closing_ under the lock and return, and once the watch is gone none runs,
  // so this thread owns the context (watch_free waits for a callback in
  // progress).
  closing_.store(true, std::memory_order_release);
  { std::lock_guard running(callback_mu_); }
  push_ = nullptr;
  if (socket_ != nullptr) drop_watch(*socket_);
  reset({ErrorKind::Closed, "the redis plugin instance is being destroyed"});
}

Link* Link::link_of(const redisAsyncContext* ac) {
  return static_cast<Link*>(static_cast<UnsolicitedReplyListener*>(ac->data));
}

bool Link::connect(Error& err) {
  down_reason_ = {};
  ready_ = !endpoint_.master_only;
  subscribed_ = false;
  redisAsyncContext* ac = hiredis_async_connect(endpoint_.address);
  std::string why;
  if (ac == nullptr)
    why = "cannot allocate a Redis context";
  else if (ac->err != 0)
    why = ac->errstr;
  else
    attach(ac, why);
  if (!why.empty()) {
    err = {ErrorKind::Connect, "cannot connect to Redis at " + where_ + ": " + why};
    if (ac != nullptr) redisAsyncFree(ac);
    ctx_.counters.connect_failures.add();
    return false;
  }
  ac->data = static_cast<UnsolicitedReplyListener*>(this);
  refuse_unsolicited_replies(ac);
  ac_ = ac;
  // Setting the connect callback asks the loop for the socket's first write
  // event: attach() comes first.
  redisAsyncSetConnectCallback(ac, &Link::on_connect);
  redisAsyncSetDisconnectCallback(ac, &Link::on_disconnect);
  if (!endpoint_.address.is_unix) redisEnableKeepAlive(&ac->c);
  if (socket_ != nullptr) apply(*socket_);  // connect_timeout
  for (auto& cmd : handshake_commands(endpoint_)) {
    Error ignored;  // a context that cannot take it is going down already
    write(cmd, ignored);
  }
  if (ac_ != nullptr) return true;
  // Gone already (its loop has stopped): say why.
  err = down_reason_.kind != ErrorKind::None
            ? down_reason_
            : Error{ErrorKind::Connect, "cannot connect to Redis at " + where_};
  return false;
}

bool Link::send(std::unique_ptr<Command>& cmd, Error& err) {
  if (ac_ == nullptr && !connect(err)) return false;
  return write(cmd, err);
}

bool Link::write(std::unique_ptr<Command>& cmd, Error& err) {
  if (!ready_ && ac_ != nullptr && cmd->kind != Command::Kind::Auth &&
      cmd->kind != Command::Kind::Select && cmd->kind != Command::Kind::Role) {
    held_.push_back(std::move(cmd));  // not before ROLE says "master"
    return true;
  }
  if (ac_ == nullptr) {
    err = down_reason_.kind != ErrorKind::None
              ? down_reason_
              : Error{ErrorKind::Io, "no connection to Redis at " + where_};
    return false;
  }
  if (redisAsyncFormattedCommand(ac_, &Link::on_reply, cmd.get(), cmd->bytes.data(),
                                 cmd->bytes.size()) != REDIS_OK) {
    err = {ErrorKind::Io,
           "cannot write to Redis at " + where_ + ": " +
               (ac_->errstr != nullptr && *ac_->errstr ? ac_->errstr
                                                       : "connection closing")};
    return false;
  }
  cmd.release();  // hiredis holds it until on_reply
  // The first command after a quiet spell starts the wait for Redis.
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) == 0)
    waiting_since_ns_ = ctx_.clock.now_ns();
  ctx_.counters.in_flight.fetch_add(1, std::memory_order_relaxed);
  if (socket_ != nullptr && socket_->quiet) {
    // The loop this connection was made on has stopped, and a new one with
    // the same handle makes calls: nothing would ever drive this connection.
    // Failing what is on it lets the next call connect on the new loop.
    reset({ErrorKind::Io, "the connection to Redis at " + where_ +
                              " belonged to an event loop that has stopped"});
  }
  return true;
}

void Link::reset(Error why) {
  if (ac_ == nullptr) return;
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  down_reason_ = std::move(why);
  set_connected(false);
  connecting_ = false;
  if (down_reason_.kind != ErrorKind::Closed) ctx_.counters.discarded.add();
  // Every command still on it gets its callback with a NULL reply (now, or
  // right after the hiredis callback we may be in), and `down_reason_`.
  redisAsyncFree(ac);
  fail_held(down_reason_);
}

void Link::fail_held(const Error& why) {
  auto held = std::move(held_);
  held_.clear();
  for (auto& cmd : held) deliver(*cmd, nullptr, why);
}

void Link::retarget(const Endpoint& to, uint64_t generation) {
  generation_ = generation;
  const std::string next = to.address.to_string();
  if (next == where_) return;
  reset({ErrorKind::NotMaster, "the master moved from " + where_ + " to " + next});
  endpoint_ = to;
  where_ = next;
}

bool Link::subscribe(std::string_view channel, Push push, Error& err) {
  if (ac_ == nullptr && !connect(err)) return false;
  push_ = std::move(push);
  std::string_view args[] = {"SUBSCRIBE", channel};
  const std::string bytes = format_command(args);
  if (redisAsyncFormattedCommand(ac_, &Link::on_push, this, bytes.data(), bytes.size()) !=
      REDIS_OK) {
    err = {ErrorKind::Io, "cannot subscribe at " + where_};
    return false;
  }
  in_flight_.fetch_add(1, std::memory_order_relaxed);  // until it is confirmed
  waiting_since_ns_ = ctx_.clock.now_ns();
  return true;
}

void Link::on_push(redisAsyncContext* ac, void* reply, void*) {
  Link* self = link_of(ac);
  if (!self->subscribed_) {
    self->subscribed_ = true;
    self->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (self->push_) self->push_(static_cast<const redisReply*>(reply));
}

void Link::set_connected(bool up) {
  if (connected_.exchange(up, std::memory_order_relaxed) != up)
    ctx_.counters.up.add(up ? 1 : -1);
}

void Link::connect_failed(Error why) {
  ctx_.counters.connect_failures.add();
  reset(std::move(why));
}

Error Link::lost(const redisAsyncContext* ac) const {
  if (down_reason_.kind != ErrorKind::None) return down_reason_;
  std::string why = ac != nullptr && ac->errstr != nullptr && *ac->errstr != '\0'
                        ? ac->errstr
                        : "connection closed";
  return {ErrorKind::Io, "connection to Redis at " + where_ + " lost: " + why};
}

void Link::deliver(Command& cmd, const redisReply* reply, const Error& err) {
  switch (cmd.kind) {
    case Command::Kind::Auth:
    case Command::Kind::Select:
    case Command::Kind::Role: {
      Error why = handshake_refusal(endpoint_, cmd, reply);
      if (why.kind != ErrorKind::None) {
        reset(std::move(why));
      } else if (cmd.kind == Command::Kind::Role && reply != nullptr && !ready_) {
        ready_ = true;
        auto held = std::move(held_);
        held_.clear();
        for (auto& c : held) {
          Error e;
          if (!write(c, e)) deliver(*c, nullptr, e);
        }
      }
      return;
    }
    case Command::Kind::Sync:
      cmd.sync->finish(reply, err);
      return;
    case Command::Kind::Raw:
      cmd.raw(reply, err);
      return;
    case Command::Kind::Asking:
      return;  // a refusal shows in the reply to the command after it
    default:
      ctx_.handler.on_result(cmd, reply, err);
  }
}

void Link::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Command> cmd(static_cast<Command*>(privdata));
  Link* self = link_of(ac);
  self->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  self->ctx_.counters.in_flight.fetch_sub(1, std::memory_order_relaxed);
  const auto* r = static_cast<const redisReply*>(reply);
  self->deliver(*cmd, r, r != nullptr ? Error{} : self->lost(ac));
}

void Link::on_unsolicited_reply(redisAsyncContext* ac) {
  if (ac_ != ac) return;  // being freed already
  ctx_.counters.unsolicited.add();
  // hiredis disconnects right after this: on_disconnect and the failed
  // commands' on_reply read the reason from here.
  down_reason_ = {ErrorKind::Protocol, "connection to Redis at " + where_ +
                                           " reset: it sent a reply to no command"};
  ctx_.handler.on_connection_error(endpoint_.address, down_reason_);
}

void Link::on_connect(const redisAsyncContext* ac, int status) {
  Link* self = link_of(ac);
  if (self->ac_ != ac) return;  // one we gave up on already
  self->connecting_ = false;
  if (self->socket_ != nullptr) self->apply(*self->socket_);  // command_timeout now
  if (status == REDIS_OK) {
    self->set_connected(true);
    self->ctx_.counters.connects.add();
    return;
  }
  // hiredis frees the context after this callback, failing its commands.
  self->ctx_.counters.connect_failures.add();
  self->down_reason_ = {ErrorKind::Connect,
                        "cannot connect to Redis at " + self->where_ + ": " +
                            (ac->errstr != nullptr ? ac->errstr : "")};
  self->ac_ = nullptr;
  self->fail_held(self->down_reason_);
}

void Link::on_disconnect(const redisAsyncContext* ac, int) {
  Link* self = link_of(ac);
  if (self->ac_ != ac) return;  // reset() or a failed connect already did the rest
  self->ac_ = nullptr;
  self->set_connected(false);
  self->connecting_ = false;
  self->ctx_.counters.discarded.add();
  self->fail_held(self->lost(ac));
}

void Link::apply(Socket& s) {
  if (s.watch == nullptr) return;
  const auto period = connecting_ && &s == socket_ ? ctx_.opts.connect_timeout
                                                   : ctx_.opts.command_timeout;
  if (!watches_.set(s.watch, s.want, to_ns(period))) s.quiet = true;
}

void Link::want(Socket& s, uint32_t event, bool on) {
  const uint32_t next = on ? (s.want | event) : (s.want & ~event);
  if (next == s.want) return;
  s.want = next;
  apply(s);
}

void Link::drop_watch(Socket& s) {
  if (s.watch == nullptr) return;
  watches_.free(s.watch);
  s.watch = nullptr;
}

bool Link::stalled() const {
  return in_flight() > 0 &&
         ctx_.clock.now_ns() - waiting_since_ns_ >= to_ns(ctx_.opts.command_timeout);
}

void Link::on_watch(void* arg, uint32_t events) {
  auto* s = static_cast<Socket*>(arg);
  Link* self = s->link;
  if (self->closing_.load(std::memory_order_acquire)) return;
  std::lock_guard running(self->callback_mu_);
  // Looked at again under the lock: ~Link may have begun between the first
  // look and the lock, and from then on that thread owns the context.
  if (self->closing_.load(std::memory_order_acquire)) return;
  if (self->ac_ == nullptr || s != self->socket_) return;  // a context going away
  self->on_event(*s, events);
}

void Link::on_event(Socket& s, uint32_t events) {
  redisAsyncContext* ac = ac_;
  const auto& o = ctx_.opts;
  if (connecting_) {
    if (events & FIBD_CACHE_WATCH_TIMEOUT) {
      connect_failed({ErrorKind::Connect, "cannot connect to Redis at " + where_ +
                                              ": timed out (connect_timeout " +
                                              format_duration(o.connect_timeout) + ")"});
      return;
    }
  } else if (stalled()) {
    // Checked on every event, not only at the timeout: each event (an
    // activation too) puts the watch's timeout off again.
    reset({ErrorKind::Timeout,
           "timed out waiting for Redis at " + where_ + " to answer (command_timeout " +
               format_duration(o.command_timeout) + "); connection reset"});
    return;
  } else if (events & FIBD_CACHE_WATCH_TIMEOUT) {
    // The loop's timer may fire a little early by this clock, or the wait
    // began after the timer was armed: the rest of the wait, then the usual
    // period again.
    if (in_flight() > 0) {
      const uint64_t waited = ctx_.clock.now_ns() - waiting_since_ns_;
      watches_.set(s.watch, s.want, to_ns(o.command_timeout) - waited + 1'000'000);
      s.short_timer = true;
    }
    return;
  } else if (s.short_timer) {
    s.short_timer = false;
    apply(s);
  }
  if (events & FIBD_CACHE_WATCH_READ) {
    const uint64_t waiting = in_flight();
    redisAsyncHandleRead(ac);
    if (ac_ != ac) return;  // closed while reading: `s` may be gone
    if (in_flight() < waiting) waiting_since_ns_ = ctx_.clock.now_ns();
  }
  if ((events & FIBD_CACHE_WATCH_WRITE) || s.flush_pending) {
    s.flush_pending = false;
    s.flushing = true;
    redisAsyncHandleWrite(ac);
    if (ac_ == ac) s.flushing = false;
  }
}

}  // namespace fibd_redis
