#include "pipeline_link.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <new>
#include <string>

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

}  // namespace

PipelineLink::PipelineLink(const Options& opts, event_base* base, const HostClock& clock,
                           PipelineHandler& handler, PipelineCounters& counters)
    : AsyncLink(opts, clock, handler, counters), base_(base) {
  connect_timer_ = evtimer_new(base_, &PipelineLink::on_connect_timeout, this);
  if (connect_timer_ == nullptr) throw std::bad_alloc();
}

PipelineLink::~PipelineLink() {
  reset({ErrorKind::Closed, "the redis plugin instance is being destroyed"});
  event_free(connect_timer_);
}

void PipelineLink::connect_now() {
  Error ignored;
  if (ac_ == nullptr) connect(ignored);
}

bool PipelineLink::attach(redisAsyncContext* ac, std::string& why) {
  if (redisLibeventAttach(ac, base_) == REDIS_OK) return true;
  why = "cannot watch its socket";
  return false;
}

void PipelineLink::connect_started() {
  timeval tv = after_ns(to_ns(opts_.connect_timeout));
  evtimer_add(connect_timer_, &tv);
}

void PipelineLink::connect_ended(bool) { evtimer_del(connect_timer_); }

void PipelineLink::closing() { evtimer_del(connect_timer_); }

void PipelineLink::written(Command& cmd) {
  cmd.link = this;
  arm_timer(cmd);
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
  self->connect_failed({ErrorKind::Connect,
                        "cannot connect to Redis at " + self->opts_.address.to_string() +
                            ": timed out (connect_timeout " +
                            format_duration(self->opts_.connect_timeout) + ")"});
}

}  // namespace fibd_redis
