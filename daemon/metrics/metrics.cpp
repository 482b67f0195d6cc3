#include "metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include "metrics/process_metrics.h"

namespace fibd {

namespace {

using prometheus::Registry;

prometheus::Family<prometheus::Counter>& counters(Registry& r, const std::string& name,
                                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& gauges(Registry& r, const std::string& name,
                                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

// Registered before the members that reference its family are initialised.
std::shared_ptr<Registry> make_registry() {
  auto r = std::make_shared<Registry>();
  gauges(*r, "fibd_build_info", "fibd version (value is always 1)")
      .Add({{"version", FIBD_VERSION}})
      .Set(1);
  return r;
}

// From a 20 µs hit to past a 30 s computation, about three buckets a decade.
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025,
      0.05, 0.1,    0.25, 0.5,  1,      2.5,  5,    10,     30,   60,   120};
  return kBuckets;
}

}  // namespace

Metrics::Metrics()
    : registry_(make_registry()),
      requests_(&counters(*registry_, "fibd_http_requests_total",
                          "HTTP requests answered, by status code")),
      status_200_(&requests_->Add({{"code", "200"}})),
      status_400_(&requests_->Add({{"code", "400"}})),
      status_404_(&requests_->Add({{"code", "404"}})),
      status_503_(&requests_->Add({{"code", "503"}})),
      cache_hits_(counters(*registry_, "fibd_cache_hits_total",
                           "Cache lookups that found the value")
                      .Add({})),
      cache_misses_(counters(*registry_, "fibd_cache_misses_total",
                             "Cache lookups that did not find a usable value")
                        .Add({})),
      cache_errors_(counters(*registry_, "fibd_cache_errors_total",
                             "Cache calls that failed (the request was still served)")
                        .Add({})),
      cache_rejected_(counters(*registry_, "fibd_cache_rejected_total",
                               "Values from the cache that were not F(n), by reason (the "
                               "value was computed, served and written back)")),
      cache_writes_dropped_(
          counters(*registry_, "fibd_cache_writes_dropped_total",
                   "Computed values not written to the cache because its write queue was "
                   "full (a slow or hung cache)")
              .Add({})),
      cache_writes_pending_(
          gauges(*registry_, "fibd_cache_writes_pending",
                 "Computed values queued for the cache or being written")
              .Add({})),
      compute_seconds_(
          prometheus::BuildHistogram()
              .Name("fibd_compute_seconds")
              .Help("Time spent computing Fibonacci numbers")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1e-5, 1e-4, 1e-3, 1e-2,
                                                               0.1, 1, 10, 60})),
      inflight_(gauges(*registry_, "fibd_computations_in_flight",
                       "Computations queued or running")
                    .Add({})),
      computations_refused_(
          counters(*registry_, "fibd_computations_refused_total",
                   "Requests answered 503 because limits.max_inflight computations were "
                   "running")
              .Add({})),
      connections_refused_(
          counters(*registry_, "fibd_http_connections_refused_total",
                   "Connections answered 503 and closed at http.max_connections")
              .Add({})),
      reloads_ok_(counters(*registry_, "fibd_reloads_total",
                           "Configuration and plugin reloads, by result")
                      .Add({{"result", "ok"}})),
      reloads_failed_(counters(*registry_, "fibd_reloads_total",
                               "Configuration and plugin reloads, by result")
                          .Add({{"result", "failed"}})),
      plugin_info_(gauges(*registry_, "fibd_plugin_info",
                          "The cache plugin in use (value is always 1)")) {
  auto& latency = prometheus::BuildHistogram()
                      .Name("fibd_http_request_duration_seconds")
                      .Help(
                          "Time from a complete request head to the last byte of its "
                          "answer handed to the kernel, by route and cache outcome")
                      .Register(*registry_);
  auto add = [&](LatencyLabel label, const char* route, const char* cache) {
    latency_[static_cast<std::size_t>(label)] =
        &latency.Add({{"route", route}, {"cache", cache}}, latency_buckets());
  };
  add(LatencyLabel::Other, "other", "none");
  add(LatencyLabel::FibHit, "fib", "hit");
  add(LatencyLabel::FibMiss, "fib", "miss");
  add(LatencyLabel::FibError, "fib", "none");
  add(LatencyLabel::Healthz, "healthz", "none");
  add(LatencyLabel::Metrics, "metrics", "none");
}

prometheus::Counter& Metrics::status_counter(int status) {
  switch (status) {
    case 200:
      return *status_200_;
    case 400:
      return *status_400_;
    case 404:
      return *status_404_;
    case 503:
      return *status_503_;
    default:
      return requests_->Add({{"code", std::to_string(status)}});
  }
}

void Metrics::cache_rejected(const std::string& reason) {
  cache_errors_.Increment();
  cache_rejected_.Add({{"reason", reason}})
      .Increment();  // rare: the lookup's lock is fine
}

void Metrics::count_request(int status) { status_counter(status).Increment(); }

std::uint64_t Metrics::requests() const {
  // Only this family is collected, not the whole registry: D-Bus reads it
  // on every property request.
  std::uint64_t total = 0;
  for (const auto& family : requests_->Collect()) {
    for (const auto& m : family.metric) total += as_u64(m.counter.value);
  }
  return total;
}

void Metrics::set_plugin(const std::string& name, const std::string& version,
                         const std::string& path) {
  std::lock_guard lock(plugin_mutex_);
  if (plugin_gauge_ != nullptr) plugin_info_.Remove(plugin_gauge_);
  plugin_gauge_ =
      &plugin_info_.Add({{"name", name}, {"version", version}, {"path", path}});
  plugin_gauge_->Set(1);
}

void Metrics::set_plugin_source(PluginSource source) {
  std::lock_guard lock(source_mutex_);
  plugin_source_ = std::move(source);
}

void Metrics::set_connections_source(std::function<std::size_t()> source) {
  std::lock_guard lock(source_mutex_);
  connections_source_ = std::move(source);
}

std::string Metrics::serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  PluginSource source;
  std::function<std::size_t()> connections;
  {
    std::lock_guard lock(source_mutex_);
    source = plugin_source_;
    connections = connections_source_;
  }
  if (connections) {
    prometheus::ClientMetric m;
    m.gauge.value = static_cast<double>(connections());
    families.push_back(prometheus::MetricFamily{"fibd_http_connections_open",
                                                "Client connections open now",
                                                prometheus::MetricType::Gauge,
                                                {m}});
  }
  append_process_families(families);
  if (source) {
    CacheScrape scrape = source();
    const std::string& plugin = scrape.plugin;
    const std::vector<PluginSample>& samples = scrape.samples;
    prometheus::MetricFamily counters{"fibd_plugin_counter_total",
                                      "Counters the cache plugin reports, by name",
                                      prometheus::MetricType::Counter,
                                      {}};
    prometheus::MetricFamily gauges{"fibd_plugin_gauge",
                                    "Gauges the cache plugin reports, by name",
                                    prometheus::MetricType::Gauge,
                                    {}};
    for (const PluginSample& s : samples) {
      prometheus::ClientMetric m;
      m.label = {{"name", s.name}, {"plugin", plugin}};
      if (s.gauge) {
        m.gauge.value = s.value;
        gauges.metric.push_back(std::move(m));
      } else {
        m.counter.value = s.value;
        counters.metric.push_back(std::move(m));
      }
    }
    if (!counters.metric.empty()) families.push_back(std::move(counters));
    if (!gauges.metric.empty()) families.push_back(std::move(gauges));
    if (scrape.near) {
      auto one = [&](const char* name, const char* help, prometheus::MetricType type,
                     std::uint64_t value) {
        prometheus::ClientMetric m;
        if (type == prometheus::MetricType::Counter) {
          m.counter.value = static_cast<double>(value);
        } else {
          m.gauge.value = static_cast<double>(value);
        }
        families.push_back(prometheus::MetricFamily{name, help, type, {m}});
      };
      one("fibd_near_cache_hits_total", "Lookups answered by the in-process near cache",
          prometheus::MetricType::Counter, scrape.near_hits);
      one("fibd_near_cache_misses_total",
          "Lookups the near cache passed on to the cache plugin",
          prometheus::MetricType::Counter, scrape.near_misses);
      one("fibd_near_cache_bytes", "Bytes the near cache holds (keys, values, overhead)",
          prometheus::MetricType::Gauge, scrape.near_bytes);
      one("fibd_near_cache_max_bytes", "cache.near.max_bytes",
          prometheus::MetricType::Gauge, scrape.near_max_bytes);
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace fibd
