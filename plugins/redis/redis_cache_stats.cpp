// stats(): redis.so's counters for fibd-plugin-check and any host that asks
// (the operator's subset also goes to /metrics as it changes, host_metrics.h).
#include "redis_cache.h"

namespace fibd_redis {

void RedisCache::stats(const fibd_cache_stats_sink* sink) const {
  if (sink == nullptr || sink->put == nullptr) return;
  auto put = [&](const char* name, uint64_t v) { sink->put(sink->ctx, name, v); };
  auto ld = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  put("gets", ld(gets_));
  put("hits", ld(hits_));
  put("misses", ld(misses_));
  put("sets", ld(sets_));
  put("dels", ld(dels_));
  put("clears", ld(clears_));
  put("errors", errors_.load());
  put("timeouts", timeouts_.load());
  put("cancelled", ld(cancelled_));
  put("deadline_expired", ld(deadline_expired_));
  put("late_replies", ld(late_replies_));
  put("pending_calls", calls_.size());
  put("in_flight", ld(counters_.in_flight));
  const int64_t up = counters_.up.load();
  put("connections", static_cast<uint64_t>(up > 0 ? up : 0));
  put("connects", counters_.connects.load());
  put("connect_failures", counters_.connect_failures.load());
  put("connections_discarded", counters_.discarded.load());
  put("unsolicited_replies", counters_.unsolicited.load());
  put("breaker_state", static_cast<uint64_t>(breakers_.worst()));
  put("breaker_opens", breakers_.opens());
  put("breaker_rejected", breakers_.rejected());
  put("breaker_backoff_ms", static_cast<uint64_t>(breakers_.longest_backoff().count()));
  put("log_suppressed", log_.suppressed_total());
  if (sentinel_) {
    put("sentinel_rounds", sentinel_->rounds());
    put("sentinel_master_changes", sentinel_->master_changes());
  }
  if (cluster_) {
    put("cluster_nodes_known", cluster_->node_count());
    put("cluster_links_up", loops_.connected() + own_links_.connected());
    put("cluster_map_refreshes", cluster_->refreshes());
    put("cluster_maps_refused", cluster_->refused());
    put("cluster_redirects", ld(redirects_));
    put("cluster_nodes_breaker_open", breakers_.not_closed());
  }
}

}  // namespace fibd_redis
