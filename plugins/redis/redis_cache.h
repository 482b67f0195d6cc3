// The cache itself: prefixed keys, the circuit breaker, logging and
// counters. Every command goes over one transport (link.h): get and set
// made on one of fibd's event loops over that loop's link (in cluster mode,
// that loop's link to the key's node: node_links.h), every other
// command (get and set from other threads, del, clear, create()'s check)
// over the link of the plugin's own loop (own_loop.h). get and set are
// asynchronous (redis_cache_async.cpp); del and clear wait for their answer.
#pragma once

#include <fibd/cache_plugin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "async_call.h"
#include "breakers.h"
#include "circuit_breaker.h"
#include "cluster.h"
#include "command.h"
#include "host_metrics.h"
#include "link.h"
#include "logger.h"
#include "loop_links.h"
#include "node_links.h"
#include "options.h"
#include "own_loop.h"
#include "sentinel.h"
#include "target.h"

namespace fibd_redis {

class RedisCache final : public LinkHandler {
 public:
  // Parses the options and checks Redis once. Fails (nullptr + error) on bad
  // options or when Redis refuses our credentials or database; succeeds
  // with a warning when Redis cannot be reached now.
  static std::unique_ptr<RedisCache> create(const fibd_cache_host* host,
                                            const fibd_cache_config* config,
                                            EnvLookup env, std::string& error);
  // Closes every link; every call still owed a completion gets one (ERROR)
  // before this returns.
  ~RedisCache() override;

  // PENDING (the answer comes through call->completion, exactly once), or
  // ERROR + error right away (breaker open, no completion). Never blocks on
  // the network.
  fibd_cache_status get(std::string_view key, const fibd_cache_call* call,
                        std::string& error);
  fibd_cache_status set(std::string_view key, std::string_view value, uint64_t ttl_ms,
                        const fibd_cache_call* call, std::string& error);
  // Completes the pending call `call_id` with CANCELLED now, unless done.
  void cancel(uint64_t call_id);

  fibd_cache_status del(std::string_view key, std::string& error);
  fibd_cache_status clear(std::string& error);
  void stats(const fibd_cache_stats_sink* sink) const;

  // LinkHandler (a link's loop thread).
  void on_result(Command& cmd, const redisReply* reply, const Error& err) override;
  void on_connection_error(const Address& node, const Error& why) override;

 private:
  RedisCache(const fibd_cache_host* host, Options opts);

  // create()'s PING: false + error when Redis refuses us; an unreachable
  // Redis only opens the breaker.
  bool check(std::string& error);
  // Sentinel mode, in create(): a first round; false + error when the
  // sentinels refuse our credentials.
  bool find_master(std::string& error);
  // Where data commands go, for messages.
  std::string where() const;
  // Queues one get or set; see get().
  fibd_cache_status start(Command::Kind kind, std::span<const std::string_view> args,
                          const fibd_cache_call* call, std::string& error);
  // `breaker`'s verdict for one call; false + error when it is open.
  bool admit(Breaker& breaker, std::string& error);
  // The breaker of the node `cmd` goes to (the target's out of cluster mode).
  Breaker& breaker_of(Command& cmd);
  // Own loop thread: writes `cmd` on the own loop's link, or fails it.
  void send_own(std::unique_ptr<Command>& cmd);
  // The link `cmd` goes on among `links`: its cluster node's, or the target's.
  Link& link_of(NodeLinks& links, const Command& cmd);
  // Writes `cmd` on `link`, ASKING first when it asks for that.
  static bool send(Link& link, std::unique_ptr<Command>& cmd, Error& err);

  // Cluster mode (redis_cache_cluster.cpp). create(): the first slot map;
  // false + error when the nodes refuse our credentials.
  bool learn_map(std::string& error);
  // A get or set's result that cluster mode deals with (an unreachable
  // node, a redirection, a slot not served now): true when it did.
  bool on_cluster_result(Command& cmd, const redisReply* reply, const Error& err);
  // `cmd` again, once, at `to` on the loop it went on.
  void redirect(Command& cmd, const Address& to, bool asking);
  // A get that cluster mode cannot answer is a miss; a set, an error.
  void cluster_miss(Command& cmd, const std::string& why);
  // execute() of a command on `key` at the node serving it, following one
  // MOVED or ASK.
  std::optional<Reply> execute_keyed(std::span<const std::string_view> args,
                                     std::string_view key, Error& why);
  // clear() on one node (cluster mode) or on the target.
  fibd_cache_status clear_on(const std::optional<Address>& node, std::string& error);
  // Completes cmd's call (if still owed) and counts it.
  void finish(Command& cmd, fibd_cache_status status, std::string_view value,
              const std::string& message);
  // One command on the own loop, waited for: Redis' reply, or nullopt +
  // why. `checked`: under the breaker, and its outcome reported to it.
  // `node`: a cluster node, `asking` after an ASK.
  std::optional<Reply> execute(std::span<const std::string_view> args,
                               Clock::time_point deadline, Error& why,
                               bool checked = true,
                               const std::optional<Address>& node = std::nullopt,
                               bool asking = false);
  // What an answer, or none, says about the node behind `b`.
  void record_failure(Breaker& b, const Error& e, std::string_view what);
  void record_success(Breaker& b);
  void record(Breaker& b, std::string_view error_reply, std::string_view what);
  // "cluster node host:port", or where().
  std::string name_of(const Breaker& b) const;
  // Why Redis' answer to `what` is not what it should be (an error reply or
  // an unexpected type); logged, rate-limited.
  std::string refused(int type, std::string_view error_text, std::string_view what);
  std::string breaker_refusal(const Breaker& b, const CircuitBreaker::Decision& d) const;
  std::string key_for(std::string_view key) const;
  Clock::time_point deadline() const { return Clock::now() + opts_.command_timeout; }

  // A redirection followed (`asking`: after ASK, else after MOVED).
  void count_redirect(bool asking);

  const Options opts_;
  const HostMetrics metrics_;
  Logger log_;
  HostClock clock_;
  Breakers breakers_;
  CallRegistry calls_;
  LinkCounters counters_{metrics_};
  const LinkContext ctx_{opts_, clock_, *this, counters_, metrics_};
  Target target_;
  LoopLinks loops_;
  OwnLoop own_;
  NodeLinks own_links_{ctx_, own_, nullptr};  // own loop's thread (or its driver)
  std::unique_ptr<SentinelWatch> sentinel_;   // likewise; sentinel mode only
  std::unique_ptr<ClusterMap> cluster_;       // cluster mode only

  std::atomic<uint64_t> gets_{0}, hits_{0}, misses_{0}, sets_{0}, dels_{0}, clears_{0},
      cancelled_{0}, deadline_expired_{0}, late_replies_{0}, redirects_{0};
  EventCount errors_{metrics_, "errors"};
  EventCount timeouts_{metrics_, "timeouts"};
};

}  // namespace fibd_redis
