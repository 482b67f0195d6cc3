// The cache itself: GET/SET/DEL/SCAN+UNLINK on prefixed keys, each call
// bounded by command_timeout, behind the circuit breaker, over the pool.
#pragma once

#include <fibd/cache_plugin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "circuit_breaker.h"
#include "connection.h"
#include "connection_pool.h"
#include "logger.h"
#include "options.h"

namespace fibd_redis {

class RedisCache {
 public:
  // Parses the options and checks Redis once. Fails (nullptr + error) on bad
  // options or when Redis refuses our credentials or database; succeeds with
  // a warning when Redis cannot be reached now.
  static std::unique_ptr<RedisCache> create(const fibd_cache_host* host,
                                            const fibd_cache_config* config,
                                            EnvLookup env, std::string& error);

  // `host_deadline_ns` is the call's deadline on the host's monotonic clock
  // (the steady clock), 0 for none: a command never outlives it, nor
  // command_timeout.
  fibd_cache_status get(std::string_view key, const fibd_cache_sink* sink,
                        std::string& error, uint64_t host_deadline_ns = 0);
  fibd_cache_status set(std::string_view key, std::string_view value, uint64_t ttl_ms,
                        std::string& error, uint64_t host_deadline_ns = 0);
  fibd_cache_status del(std::string_view key, std::string& error);
  fibd_cache_status clear(std::string& error);
  void stats(const fibd_cache_stats_sink* sink) const;

 private:
  RedisCache(const fibd_cache_host* host, Options opts);

  // One command under the breaker, before `deadline`; on a connection found
  // dead after idling, retried once on a fresh one. nullptr + error on
  // failure; Redis error replies are returned as replies.
  ReplyPtr execute(std::span<const std::string_view> args, Deadline deadline,
                   std::string& error);
  void record_failure(const Error& e, std::string_view what);
  void record_success();
  // A command Redis answered with an error reply (or an unexpected type).
  fibd_cache_status reply_failed(const redisReply* r, std::string_view what,
                                 std::string& error);
  std::string key_for(std::string_view key) const;
  Deadline deadline(uint64_t host_deadline_ns = 0) const {
    Deadline own = Clock::now() + opts_.command_timeout;
    if (host_deadline_ns == 0) return own;
    Deadline host{std::chrono::nanoseconds(
        static_cast<int64_t>(std::min<uint64_t>(host_deadline_ns, INT64_MAX)))};
    return std::min(own, host);
  }

  const Options opts_;
  Logger log_;
  ConnectionPool pool_;
  CircuitBreaker breaker_;
  std::atomic<int64_t> outage_started_ns_{0};  // steady clock, 0 = none

  std::atomic<uint64_t> gets_{0}, hits_{0}, misses_{0}, sets_{0}, dels_{0}, clears_{0},
      errors_{0}, timeouts_{0}, retries_{0};
};

}  // namespace fibd_redis
