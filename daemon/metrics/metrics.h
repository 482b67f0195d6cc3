// Prometheus metrics (prometheus-cpp core), also the source of the counters
// that D-Bus exposes.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fibd {

// One metric a cache plugin reports through the host services.
struct PluginSample {
  std::string name;
  bool gauge = false;  // otherwise a counter
  double value = 0;
};

// What the running cache reports at a scrape: the plugin's own metrics and,
// when a near tier is configured, its counters.
struct CacheScrape {
  std::string plugin;
  std::vector<PluginSample> samples;
  bool near = false;
  std::uint64_t near_hits = 0, near_misses = 0, near_bytes = 0, near_max_bytes = 0;
};

// What fibd_http_request_duration_seconds is labelled with: the route and,
// for an answer with F(n), whether it came from the cache.
enum class LatencyLabel : std::uint8_t {
  Other,  // 404, 405, and anything not tagged
  FibHit,
  FibMiss,
  FibError,  // /fib answered without a value (400, 500, 503)
  Healthz,
  Metrics,
};
inline constexpr std::size_t kLatencyLabels = 6;

class Metrics {
 public:
  // What the running cache reports, asked for at every scrape: shown as
  // fibd_plugin_counter_total / fibd_plugin_gauge {plugin, name} and
  // fibd_near_cache_{hits_total,misses_total,bytes,max_bytes}.
  using PluginSource = std::function<CacheScrape()>;

  Metrics();

  void count_request(int status);
  void cache_hit() { cache_hits_.Increment(); }
  void cache_miss() { cache_misses_.Increment(); }
  void cache_error() { cache_errors_.Increment(); }
  // A value from the cache that is not F(n): a cache error, and counted in
  // fibd_cache_rejected_total{reason}.
  void cache_rejected(const std::string& reason);
  // A computed value not written to the cache: its write queue was full.
  void cache_write_dropped() { cache_writes_dropped_.Increment(); }
  // Cache writes queued or running (CacheWriter).
  void cache_write_queued() { cache_writes_pending_.Increment(); }
  void cache_write_finished() { cache_writes_pending_.Decrement(); }
  void observe_compute(double seconds) { compute_seconds_.Observe(seconds); }
  void computation_started() { inflight_.Increment(); }
  void computation_finished() { inflight_.Decrement(); }
  // A request answered 503: limits.max_inflight computations were running.
  void computation_refused() { computations_refused_.Increment(); }
  // From a complete request head to the last byte of its answer handed to
  // the kernel.
  void observe_request(LatencyLabel label, std::chrono::steady_clock::duration took) {
    latency_[static_cast<std::size_t>(label)]->Observe(
        std::chrono::duration<double>(took).count());
  }
  // A connection past http.max_connections was answered 503 and closed.
  void connection_refused() { connections_refused_.Increment(); }
  // Open client connections, asked for at every scrape.
  void set_connections_source(std::function<std::size_t()> source);
  void reload_ok() { reloads_ok_.Increment(); }
  void reload_failed() { reloads_failed_.Increment(); }
  void set_plugin(const std::string& name, const std::string& version,
                  const std::string& path);

  std::uint64_t requests() const;
  std::uint64_t cache_hits() const { return as_u64(cache_hits_.Value()); }
  std::uint64_t cache_misses() const { return as_u64(cache_misses_.Value()); }
  std::uint64_t cache_errors() const { return as_u64(cache_errors_.Value()); }
  std::uint64_t reloads() const { return as_u64(reloads_ok_.Value()); }

  void set_plugin_source(PluginSource source);

  // The text exposition format.
  std::string serialize() const;

 private:
  static std::uint64_t as_u64(double v) { return static_cast<std::uint64_t>(v); }
  prometheus::Counter& status_counter(int status);

  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex source_mutex_;
  PluginSource plugin_source_;
  std::function<std::size_t()> connections_source_;
  prometheus::Family<prometheus::Counter>* requests_;
  // The common statuses, resolved once so the hot path takes no lock.
  prometheus::Counter* status_200_;
  prometheus::Counter* status_400_;
  prometheus::Counter* status_404_;
  prometheus::Counter* status_503_;
  prometheus::Counter& cache_hits_;
  prometheus::Counter& cache_misses_;
  prometheus::Counter& cache_errors_;
  prometheus::Family<prometheus::Counter>& cache_rejected_;
  prometheus::Counter& cache_writes_dropped_;
  prometheus::Gauge& cache_writes_pending_;
  prometheus::Histogram& compute_seconds_;
  prometheus::Gauge& inflight_;
  prometheus::Counter& computations_refused_;
  std::array<prometheus::Histogram*, kLatencyLabels> latency_{};
  prometheus::Counter& connections_refused_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Family<prometheus::Gauge>& plugin_info_;
  std::mutex plugin_mutex_;
  prometheus::Gauge* plugin_gauge_ = nullptr;
};

}  // namespace fibd
