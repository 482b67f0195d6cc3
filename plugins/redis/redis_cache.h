// The cache itself: prefixed keys, the circuit breaker, logging and
// counters. get and set are asynchronous (redis_cache_async.cpp): pipelined
// by the host's event loop that makes the call when the host offers watches,
// otherwise by the plugin's I/O thread. del and clear are synchronous, bounded by
// command_timeout on one blocking connection of their own.
#pragma once

#include <fibd/cache_plugin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "async_call.h"
#include "circuit_breaker.h"
#include "connection.h"
#include "connection_pool.h"
#include "logger.h"
#include "loop_links.h"
#include "options.h"
#include "pipeline.h"

namespace fibd_redis {

class RedisCache final : public PipelineHandler {
 public:
  // Parses the options, checks Redis once and starts the I/O thread. Fails
  // (nullptr + error) on bad options or when Redis refuses our credentials
  // or database; succeeds with a warning when Redis cannot be reached now.
  static std::unique_ptr<RedisCache> create(const fibd_cache_host* host,
                                            const fibd_cache_config* config,
                                            EnvLookup env, std::string& error);
  // Stops the I/O thread; every call still owed a completion gets one
  // (ERROR) before this returns.
  ~RedisCache() override;

  // PENDING (the answer comes through call->completion, exactly once, from
  // the I/O thread or cancel()), or ERROR + error right away (breaker open,
  // deadline already passed, no completion). Never blocks on the network.
  fibd_cache_status get(std::string_view key, const fibd_cache_call* call,
                        std::string& error);
  fibd_cache_status set(std::string_view key, std::string_view value, uint64_t ttl_ms,
                        const fibd_cache_call* call, std::string& error);
  // Completes the pending call `call_id` with CANCELLED now, unless done.
  void cancel(uint64_t call_id);

  fibd_cache_status del(std::string_view key, std::string& error);
  fibd_cache_status clear(std::string& error);
  void stats(const fibd_cache_stats_sink* sink) const;

  // PipelineHandler (I/O thread).
  void on_result(Command& cmd, const redisReply* reply, const Error& err) override;
  void on_deadline(Command& cmd) override;
  void on_connection_error(const Error& why) override;

 private:
  RedisCache(const fibd_cache_host* host, Options opts);

  // Queues one get or set; see get().
  fibd_cache_status start(AsyncCall::Kind kind, std::span<const std::string_view> args,
                          const fibd_cache_call* call, std::string& error);
  // Completes cmd's call (if still owed) and counts it.
  void finish(Command& cmd, fibd_cache_status status, std::string_view value,
              const std::string& message);
  // The breaker's verdict for one call; false + error when it is open.
  bool admit(std::string& error);
  // One synchronous command under the breaker, before `deadline`; on a
  // connection found dead after idling, retried once on a fresh one.
  ReplyPtr execute(std::span<const std::string_view> args, Deadline deadline,
                   std::string& error);
  void record_failure(const Error& e, std::string_view what);
  void record_success();
  // Why Redis' answer to `what` is not what it should be (an error reply or
  // an unexpected type); logged, rate-limited.
  std::string refused(const redisReply* r, std::string_view what);
  std::string key_for(std::string_view key) const;
  Deadline deadline() const { return Clock::now() + opts_.command_timeout; }

  const Options opts_;
  Logger log_;
  HostClock clock_;
  ConnectionPool pool_;  // del, clear, create()'s check
  CircuitBreaker breaker_;
  CallRegistry calls_;
  std::unique_ptr<Pipeline> pipeline_;         // get, set from other threads
  std::unique_ptr<LoopLinks> loops_;           // get, set on the host's loops
  std::atomic<int64_t> outage_started_ns_{0};  // steady clock, 0 = none

  std::atomic<uint64_t> gets_{0}, hits_{0}, misses_{0}, sets_{0}, dels_{0}, clears_{0},
      errors_{0}, timeouts_{0}, retries_{0}, cancelled_{0}, deadline_expired_{0},
      late_replies_{0};
};

}  // namespace fibd_redis
