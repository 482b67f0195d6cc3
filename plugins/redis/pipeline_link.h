// One pipelined connection to Redis on the plugin's I/O thread (hiredis'
// libevent adapter on the thread's event base). Each command has a timer
// (its call's deadline, then command_timeout); a command Redis leaves
// unanswered for command_timeout resets the connection, and every command
// still on it fails with the reason. I/O thread only, except the counters.
#pragma once

#include "async_link.h"

struct event;
struct event_base;

namespace fibd_redis {

class PipelineLink final : public AsyncLink {
 public:
  PipelineLink(const Options& opts, event_base* base, const HostClock& clock,
               PipelineHandler& handler, PipelineCounters& counters);
  // Closes the connection: commands still on it fail (ErrorKind::Closed).
  ~PipelineLink();

  // Opens the connection now if there is none (errors are counted only).
  void connect_now();

 private:
  bool attach(redisAsyncContext* ac, std::string& why) override;
  void connect_started() override;
  void connect_ended(bool ok) override;
  void written(Command& cmd) override;
  void closing() override;
  void arm_timer(Command& cmd);

  static void on_connect_timeout(int fd, short what, void* self);
  static void on_command_timer(int fd, short what, void* cmd);

  event_base* const base_;
  event* connect_timer_ = nullptr;
};

}  // namespace fibd_redis
