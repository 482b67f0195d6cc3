#include "pipeline_link.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hiredis_connect.h"
#include "reply_guard.h"

namespace fibd_redis {

namespace {

timeval after_ns(uint64_t ns) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000 + 999) / 1000);
  return tv;
}

uint64_t to_ns(std::chrono::microseconds d) {
  return static_cast<uint64_t>(d.count()) * 1000;
}

PipelineLink* link_of(const redisAsyncContext* ac) {
  return static_cast<PipelineLink*>(static_cast<UnsolicitedReplyListener*>(ac->data));
}

}  // namespace

PipelineLink::PipelineLink(const Options& opts, event_base* base, const HostClock& clock,
                           PipelineHandler& handler, PipelineCounters& counters)
    : opts_(opts), base_(base), clock_(clock), handler_(handler), counters_(counters) {
  connect_timer_ = evtimer_new(base_, &PipelineLink::on_connect_timeout, this);
  if (connect_timer_ == nullptr) throw std::bad_alloc();
}

PipelineLink::~PipelineLink() {
  reset({ErrorKind::Closed, "the redis plugin instance is being destroyed"});
  event_free(connect_timer_);
}

bool PipelineLink::connect(Error& err) {
  down_reason_ = {};
  const std::string addr = opts_.address.to_string();
  redisAsyncContext* ac = hiredis_async_connect(opts_.address);
  if (ac == nullptr) {
    err = {ErrorKind::Connect, "cannot allocate a Redis context"};
    counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (ac->err != 0 || redisLibeventAttach(ac, base_) != REDIS_OK) {
    err = {ErrorKind::Connect,
           "cannot connect to Redis at " + addr + ": " +
               (ac->err != 0 ? ac->errstr : "cannot watch its socket")};
    redisAsyncFree(ac);
    counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  ac->data = static_cast<UnsolicitedReplyListener*>(this);
  refuse_unsolicited_replies(ac);
  redisAsyncSetConnectCallback(ac, &PipelineLink::on_connect);
  redisAsyncSetDisconnectCallback(ac, &PipelineLink::on_disconnect);
  if (!opts_.address.is_unix) redisEnableKeepAlive(&ac->c);
  ac_ = ac;
  timeval tv = after_ns(to_ns(opts_.connect_timeout));
  evtimer_add(connect_timer_, &tv);
  write_handshake();
  return ac_ != nullptr;
}

void PipelineLink::write_handshake() {
  for (auto& cmd : handshake_commands(opts_, clock_.now_ns())) {
    Error ignored;  // a context that cannot take it is going down already
    write(cmd, ignored);
  }
}

bool PipelineLink::send(std::unique_ptr<Command>& cmd, Error& err) {
  if (ac_ == nullptr && !connect(err)) return false;
  return write(cmd, err);
}

void PipelineLink::connect_now() {
  Error ignored;
  if (ac_ == nullptr) connect(ignored);
}

bool PipelineLink::write(std::unique_ptr<Command>& cmd, Error& err) {
  if (ac_ == nullptr) {
    err = down_reason_.kind != ErrorKind::None
              ? down_reason_
              : Error{ErrorKind::Io,
                      "no connection to Redis at " + opts_.address.to_string()};
    return false;
  }
  if (redisAsyncFormattedCommand(ac_, &PipelineLink::on_reply, cmd.get(),
                                 cmd->bytes.data(), cmd->bytes.size()) != REDIS_OK) {
    err = {ErrorKind::Io,
           "cannot write to Redis at " + opts_.address.to_string() + ": " +
               (ac_->errstr != nullptr && *ac_->errstr ? ac_->errstr
                                                       : "connection closing")};
    return false;
  }
  Command* c = cmd.release();  // hiredis holds it until on_reply
  c->link = this;
  std::string().swap(c->bytes);  // hiredis copied it into its output buffer
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  counters_.in_flight.fetch_add(1, std::memory_order_relaxed);
  arm_timer(*c);
  return true;
}

// First at the call's deadline if that comes before command_timeout (the
// call is answered then, the command stays), then at command_timeout. AUTH
// and SELECT get connect_timeout on top: they wait for the connect.
void PipelineLink::arm_timer(Command& cmd) {
  uint64_t limit = cmd.submitted_ns + to_ns(opts_.command_timeout);
  if (!cmd.call) limit += to_ns(opts_.connect_timeout);
  uint64_t at = limit;
  cmd.timer_at_host_deadline = false;
  if (cmd.call && cmd.call->deadline_ns != 0 && cmd.call->deadline_ns < limit &&
      !cmd.call->done() && !cmd.reported) {
    at = cmd.call->deadline_ns;
    cmd.timer_at_host_deadline = true;
  }
  if (cmd.timer == nullptr)
    cmd.timer = evtimer_new(base_, &PipelineLink::on_command_timer, &cmd);
  if (cmd.timer == nullptr) return;  // out of memory: the reply or a reset ends it
  const uint64_t now = clock_.now_ns();
  timeval tv = after_ns(at > now ? at - now : 0);
  evtimer_add(cmd.timer, &tv);
}

void PipelineLink::on_command_timer(int, short, void* arg) {
  auto* cmd = static_cast<Command*>(arg);
  PipelineLink* self = cmd->link;
  if (cmd->timer_at_host_deadline) {
    self->handler_.on_deadline(*cmd);
    self->arm_timer(*cmd);
    return;
  }
  const std::string addr = self->opts_.address.to_string();
  const std::string limit = format_duration(self->opts_.command_timeout);
  Error why;
  if (cmd->call) {
    cmd->reported = true;
    self->handler_.on_result(
        *cmd, nullptr,
        {ErrorKind::Timeout,
         "timed out waiting for Redis to answer (command_timeout " + limit + ")"});
    why = {ErrorKind::Io, "connection to Redis at " + addr +
                              " reset: an earlier command on it got no answer within "
                              "command_timeout " +
                              limit};
  } else {
    why = {ErrorKind::Timeout,
           "Redis at " + addr + " did not answer " +
               (cmd->kind == Command::Kind::Auth ? "AUTH" : "SELECT") +
               " in time (connect_timeout + command_timeout)"};
  }
  self->reset(std::move(why));  // frees cmd: do not touch it after this
}

void PipelineLink::on_connect_timeout(int, short, void* arg) {
  auto* self = static_cast<PipelineLink*>(arg);
  self->counters_.connect_failures.fetch_add(1, std::memory_order_relaxed);
  self->reset({ErrorKind::Connect,
               "cannot connect to Redis at " + self->opts_.address.to_string() +
                   ": timed out (connect_timeout " +
                   format_duration(self->opts_.connect_timeout) + ")"});
}

void PipelineLink::reset(Error why) {
  if (ac_ == nullptr) return;
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  down_reason_ = std::move(why);
  connected_.store(false, std::memory_order_relaxed);
  evtimer_del(connect_timer_);
  if (down_reason_.kind != ErrorKind::Closed)
    counters_.discarded.fetch_add(1, std::memory_order_relaxed);
  // Every command still on it gets its callback with a NULL reply (now, or
  // right after the hiredis callback we may be in), and `down_reason_`.
  redisAsyncFree(ac);
}

Error PipelineLink::lost(const redisAsyncContext* ac) const {
  if (down_reason_.kind != ErrorKind::None) return down_reason_;
  std::string why = ac != nullptr && ac->errstr != nullptr && *ac->errstr != '\0'
                        ? ac->errstr
                        : "connection closed";
  return {ErrorKind::Io,
          "connection to Redis at " + opts_.address.to_string() + " lost: " + why};
}

void PipelineLink::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Command> cmd(static_cast<Command*>(privdata));
  PipelineLink* self = cmd->link;
  self->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  self->counters_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (!cmd->call) {
    self->on_handshake_reply(*cmd, reply);
    return;
  }
  if (cmd->reported) return;
  cmd->reported = true;
  if (reply != nullptr)
    self->handler_.on_result(*cmd, static_cast<const redisReply*>(reply), {});
  else
    self->handler_.on_result(*cmd, nullptr, self->lost(ac));
}

void PipelineLink::on_unsolicited_reply(redisAsyncContext* ac) {
  if (ac_ != ac) return;  // being freed already
  counters_.unsolicited.fetch_add(1, std::memory_order_relaxed);
  // hiredis disconnects right after this: on_disconnect and the failed
  // commands' on_reply read the reason from here.
  down_reason_ = unsolicited_reply_error(opts_);
  handler_.on_connection_error(down_reason_);
}

void PipelineLink::on_handshake_reply(const Command& cmd, const void* reply) {
  Error why = handshake_refusal(opts_, cmd, static_cast<const redisReply*>(reply));
  if (why.kind != ErrorKind::None) reset(std::move(why));
}

void PipelineLink::on_connect(const redisAsyncContext* ac, int status) {
  PipelineLink* self = link_of(ac);
  if (self->ac_ != ac) return;  // one we gave up on already
  evtimer_del(self->connect_timer_);
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

void PipelineLink::on_disconnect(const redisAsyncContext* ac, int) {
  PipelineLink* self = link_of(ac);
  if (self->ac_ != ac) return;  // reset() or a failed connect already did the rest
  self->ac_ = nullptr;
  self->connected_.store(false, std::memory_order_relaxed);
  self->counters_.discarded.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace fibd_redis
