#include "plugin_host/plugin_host.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/escape.h"
#include "base/log.h"

namespace fibd {

namespace {

// The watch services of the oldest version 2 host, which has none: past
// its struct_size, so a plugin reaching them broke the contract.
[[noreturn]] void beyond_struct_size(const char* service) noexcept {
  std::fprintf(stderr,
               "fibd: the plugin called host->%s, beyond the host's struct_size "
               "(test it with FIBD_CACHE_HAS_FIELD first)\n",
               service);
  std::abort();
}
fibd_cache_watch* no_watch_new(fibd_cache_host_ctx*, fibd_cache_loop*, std::int32_t,
                               fibd_cache_watch_fn, void*) noexcept {
  beyond_struct_size("watch_new");
}
std::int32_t no_watch_set(fibd_cache_host_ctx*, fibd_cache_watch*, std::uint32_t,
                          std::uint64_t) noexcept {
  beyond_struct_size("watch_set");
}
std::int32_t no_watch_activate(fibd_cache_host_ctx*, fibd_cache_watch*) noexcept {
  beyond_struct_size("watch_activate");
}
void no_watch_free(fibd_cache_host_ctx*, fibd_cache_watch*) noexcept {
  beyond_struct_size("watch_free");
}

}  // namespace

PluginHost::PluginHost(std::string plugin_name, bool oldest_v2)
    : name_(std::move(plugin_name)) {
  host_.struct_size = sizeof(fibd_cache_host);
  host_.abi_version = FIBD_CACHE_ABI_VERSION;
  host_.ctx = reinterpret_cast<fibd_cache_host_ctx*>(this);
  host_.log = &PluginHost::log;
  host_.monotonic_ns = &PluginHost::clock;
  host_.metric_add = &PluginHost::metric_add;
  host_.metric_set = &PluginHost::metric_set;
  host_.watch_new = &PluginHost::watch_new;
  host_.watch_set = &PluginHost::watch_set;
  host_.watch_activate = &PluginHost::watch_activate;
  host_.watch_free = &PluginHost::watch_free;
  if (oldest_v2) {
    host_.struct_size = FIBD_CACHE_HOST_V2_MIN_SIZE;
    host_.watch_new = &no_watch_new;
    host_.watch_set = &no_watch_set;
    host_.watch_activate = &no_watch_activate;
    host_.watch_free = &no_watch_free;
  }
}

PluginHost* PluginHost::self(fibd_cache_host_ctx* ctx) noexcept {
  return reinterpret_cast<PluginHost*>(ctx);
}

std::uint64_t PluginHost::monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t PluginHost::clock(fibd_cache_host_ctx*) noexcept { return monotonic_ns(); }

void PluginHost::log(fibd_cache_host_ctx* ctx, fibd_cache_log_level level,
                     std::uint64_t request_id, const char* message) noexcept {
  try {
    auto logger = spdlog::default_logger();
    auto lvl = plugin_log_level(level);
    if (!logger || !logger->should_log(lvl)) return;
    std::string text = escape_untrusted(message ? message : "", 4096);
    if (request_id != 0) {
      logger->log(lvl, "[plugin/{}] [req {}] {}", self(ctx)->name_, request_id, text);
    } else {
      logger->log(lvl, "[plugin/{}] {}", self(ctx)->name_, text);
    }
  } catch (...) {
    // A log line is never worth an exception crossing into plugin code.
  }
}

bool valid_plugin_metric_name(const char* name) {
  if (name == nullptr) return false;
  std::size_t len = strnlen(name, 65);
  if (len == 0 || len > 64) return false;
  for (std::size_t i = 0; i < len; ++i) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

PluginHost::Slot* PluginHost::slot(const char* name, fibd_cache_metric_kind kind) {
  auto complain = [this](const std::string& why) -> Slot* {
    if (!complained_) {
      complained_ = true;
      spdlog::default_logger()->warn("[plugin/{}] metric dropped: {} (logged once)",
                                     name_, why);
    }
    return nullptr;
  };
  if (!valid_plugin_metric_name(name)) {
    return complain("name \"" +
                    escape_untrusted(name ? std::string_view(name, strnlen(name, 65))
                                          : std::string_view("(NULL)"),
                                     64) +
                    "\" is not [a-z0-9_]{1,64}");
  }
  auto it = metrics_.find(std::string_view(name));
  if (it == metrics_.end()) {
    if (metrics_.size() >= kMaxMetrics) {
      return complain("more than " + std::to_string(kMaxMetrics) + " names");
    }
    it = metrics_.emplace(name, Slot{kind, 0}).first;
  }
  if (it->second.kind != kind) {
    return complain(std::string(name) + " used both as a counter and as a gauge");
  }
  return &it->second;
}

void PluginHost::metric_add(fibd_cache_host_ctx* ctx, const char* name,
                            std::uint64_t delta) noexcept {
  try {
    PluginHost* h = self(ctx);
    std::lock_guard lock(h->metrics_mutex_);
    if (Slot* s = h->slot(name, FIBD_METRIC_COUNTER)) {
      s->value = static_cast<std::int64_t>(static_cast<std::uint64_t>(s->value) + delta);
    }
  } catch (...) {
  }
}

void PluginHost::metric_set(fibd_cache_host_ctx* ctx, const char* name,
                            std::int64_t value) noexcept {
  try {
    PluginHost* h = self(ctx);
    std::lock_guard lock(h->metrics_mutex_);
    if (Slot* s = h->slot(name, FIBD_METRIC_GAUGE)) s->value = value;
  } catch (...) {
  }
}

std::vector<PluginMetric> PluginHost::metrics() const {
  std::lock_guard lock(metrics_mutex_);
  std::vector<PluginMetric> out;
  out.reserve(metrics_.size());
  for (const auto& [name, s] : metrics_) {
    double v = s.kind == FIBD_METRIC_COUNTER
                   ? static_cast<double>(static_cast<std::uint64_t>(s.value))
                   : static_cast<double>(s.value);
    out.push_back(PluginMetric{name, s.kind == FIBD_METRIC_GAUGE, v});
  }
  return out;
}

spdlog::level::level_enum plugin_log_level(fibd_cache_log_level level) {
  switch (level) {
    case FIBD_LOG_TRACE:
      return spdlog::level::trace;
    case FIBD_LOG_DEBUG:
      return spdlog::level::debug;
    case FIBD_LOG_INFO:
      return spdlog::level::info;
    case FIBD_LOG_WARN:
      return spdlog::level::warn;
    case FIBD_LOG_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::critical;
  }
}

}  // namespace fibd
