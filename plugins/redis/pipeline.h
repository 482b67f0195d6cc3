// Commands from any thread, pipelined over `pool_size` connections to Redis
// by the plugin's I/O thread. submit() queues a command and wakes the I/O
// thread (once per batch); the I/O thread writes every queued command on the
// next connection in turn, so under load many commands share one write and
// one read on each connection.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "io_thread.h"
#include "pipeline_command.h"
#include "pipeline_link.h"

namespace fibd_redis {

class Pipeline {
 public:
  // Throws std::runtime_error when the I/O thread cannot be set up.
  Pipeline(const Options& opts, const HostClock& clock, PipelineHandler& handler);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Starts the I/O thread; `connect` opens every connection right away.
  void start(bool connect);
  // Any thread. false once stop() has begun: `cmd` stays with the caller.
  bool submit(std::unique_ptr<Command>& cmd);
  // Fails every queued and in-flight command (ErrorKind::Closed, through the
  // handler), closes the connections and joins the I/O thread.
  void stop();

  size_t connected() const;  // connections up now
  size_t idle() const;       // up, with nothing in flight
  const PipelineCounters& counters() const { return counters_; }
  // Shared with the links the host's loops drive.
  PipelineCounters& counters() { return counters_; }

 private:
  void dispatch();  // I/O thread

  const Options& opts_;
  PipelineHandler& handler_;
  PipelineCounters counters_;
  IoThread io_;
  std::vector<std::unique_ptr<PipelineLink>> links_;  // I/O thread, fixed size
  size_t next_ = 0;                                   // I/O thread

  std::mutex mu_;
  std::vector<std::unique_ptr<Command>> queue_;  // under mu_
  bool stopping_ = false;                        // under mu_
};

}  // namespace fibd_redis
