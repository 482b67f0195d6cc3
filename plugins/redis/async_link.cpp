#include "async_link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

AsyncLink::AsyncLink(const Options& opts, const HostClock& clock,
                     PipelineHandler& handler, PipelineCounters& counters)
    : opts_(opts), clock_(clock), handler_(handler), counters_(counters) {}

AsyncLink* AsyncLink::link_of(const redisAsyncContext* ac) {
  return static_cast<AsyncLink*>(static_cast<UnsolicitedReplyListener*>(ac->data));
}

bool AsyncLink::connect(Error& err) {
  down_reason_ = {};
  const std::string addr = opts_.address.to_string();
  redisAsyncContext* ac = hiredis_async_connect(opts_.address);
  std::string why;
  if (ac == nullptr)
    why = "cannot allocate a Redis context";
  else if (ac->err != 0)
    why = ac->errstr;
  else
    attach(ac, why);
  if (!why.empty()) {
    err = {ErrorKind::Connect, "cannot connect to Redis at " + addr + ": " + why};
    if (ac != nullptr) redisAsyncFree(ac);
    counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  ac->data = static_cast<UnsolicitedReplyListener*>(this);
  refuse_unsolicited_replies(ac);
  ac_ = ac;
  // Setting the connect callback asks the loop for the socket's first write
  // event: attach() comes first.
  redisAsyncSetConnectCallback(ac, &AsyncLink::on_connect);
  redisAsyncSetDisconnectCallback(ac, &AsyncLink::on_disconnect);
  if (!opts_.address.is_unix) redisEnableKeepAlive(&ac->c);
  connect_started();
  for (auto& cmd : handshake_commands(opts_, clock_.now_ns())) {
    Error ignored;  // a context that cannot take it is going down already
    write(cmd, ignored);
  }
  if (ac_ != nullptr) return true;
  // Gone already (the derived link found its loop stopped): say why.
  err = down_reason_.kind != ErrorKind::None
            ? down_reason_
            : Error{ErrorKind::Connect, "cannot connect to Redis at " + addr};
  return false;
}

bool AsyncLink::send(std::unique_ptr<Command>& cmd, Error& err) {
  if (ac_ == nullptr && !connect(err)) return false;
  return write(cmd, err);
}

bool AsyncLink::write(std::unique_ptr<Command>& cmd, Error& err) {
  if (ac_ == nullptr) {
    err = down_reason_.kind != ErrorKind::None
              ? down_reason_
              : Error{ErrorKind::Io,
                      "no connection to Redis at " + opts_.address.to_string()};
    return false;
  }
  if (redisAsyncFormattedCommand(ac_, &AsyncLink::on_reply, cmd.get(), cmd->bytes.data(),
                                 cmd->bytes.size()) != REDIS_OK) {
    err = {ErrorKind::Io,
           "cannot write to Redis at " + opts_.address.to_string() + ": " +
               (ac_->errstr != nullptr && *ac_->errstr ? ac_->errstr
                                                       : "connection closing")};
    return false;
  }
  Command* c = cmd.release();    // hiredis holds it until on_reply
  std::string().swap(c->bytes);  // hiredis copied it into its output buffer
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  counters_.in_flight.fetch_add(1, std::memory_order_relaxed);
  written(*c);
  return true;
}

void AsyncLink::reset(Error why) {
  if (ac_ == nullptr) return;
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  down_reason_ = std::move(why);
  connected_.store(false, std::memory_order_relaxed);
  closing();
  if (down_reason_.kind != ErrorKind::Closed)
    counters_.discarded.fetch_add(1, std::memory_order_relaxed);
  // Every command still on it gets its callback with a NULL reply (now, or
  // right after the hiredis callback we may be in), and `down_reason_`.
  redisAsyncFree(ac);
}

void AsyncLink::connect_failed(Error why) {
  counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
  reset(std::move(why));
}

Error AsyncLink::lost(const redisAsyncContext* ac) const {
  if (down_reason_.kind != ErrorKind::None) return down_reason_;
  std::string why = ac != nullptr && ac->errstr != nullptr && *ac->errstr != '\0'
                        ? ac->errstr
                        : "connection closed";
  return {ErrorKind::Io,
          "connection to Redis at " + opts_.address.to_string() + " lost: " + why};
}

void AsyncLink::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Command> cmd(static_cast<Command*>(privdata));
  AsyncLink* self = link_of(ac);
  self->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  self->counters_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (!cmd->call) {  // AUTH or SELECT
    Error why =
        handshake_refusal(self->opts_, *cmd, static_cast<const redisReply*>(reply));
    if (why.kind != ErrorKind::None) self->reset(std::move(why));
    return;
  }
  if (cmd->reported) return;  // a timer of the link's has reported it
  cmd->reported = true;
  if (reply != nullptr)
    self->handler_.on_result(*cmd, static_cast<const redisReply*>(reply), {});
  else
    self->handler_.on_result(*cmd, nullptr, self->lost(ac));
}

void AsyncLink::on_unsolicited_reply(redisAsyncContext* ac) {
  if (ac_ != ac) return;  // being freed already
  counters_.unsolicited.fetch_add(1, std::memory_order_relaxed);
  // hiredis disconnects right after this: on_disconnect and the failed
  // commands' on_reply read the reason from here.
  down_reason_ = unsolicited_reply_error(opts_);
  handler_.on_connection_error(down_reason_);
}

void AsyncLink::on_connect(const redisAsyncContext* ac, int status) {
  AsyncLink* self = link_of(ac);
  if (self->ac_ != ac) return;  // one we gave up on already
  self->connect_ended(status == REDIS_OK);
  if (status == REDIS_OK) {
    self->connected_.store(true, std::memory_order_relaxed);
    self->counters_.connects.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // hiredis frees the context after this callback, failing its commands.
  self->counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
  self->down_reason_ = {ErrorKind::Connect,
                        "cannot connect to Redis at " + self->opts_.address.to_string() +
                            ": " + (ac->errstr != nullptr ? ac->errstr : "")};
  self->ac_ = nullptr;
}

void AsyncLink::on_disconnect(const redisAsyncContext* ac, int) {
  AsyncLink* self = link_of(ac);
  if (self->ac_ != ac) return;  // reset() or a failed connect already did the rest
  self->ac_ = nullptr;
  self->connected_.store(false, std::memory_order_relaxed);
  self->closing();
  self->counters_.discarded.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace fibd_redis
