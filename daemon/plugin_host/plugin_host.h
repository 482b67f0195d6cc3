// The services fibd offers one plugin instance (fibd_cache_host): the log
// function, whose lines appear as "[plugin/NAME] message", the monotonic
// clock of call deadlines, the plugin's own metrics for /metrics, and
// watches on the event loop a call is made on.
#pragma once

#include <fibd/cache_plugin.h>
#include <spdlog/common.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plugin_host/cache.h"

namespace fibd {

class PluginHost {
 public:
  // At most this many metric names per instance; later ones are dropped.
  static constexpr std::size_t kMaxMetrics = 64;

  // `oldest_v2`: present only what every version 2 host has (struct_size
  // ends at metric_set); the watch services abort when called anyway, so a
  // plugin that skips the struct_size test fails loudly (HostShape).
  explicit PluginHost(std::string plugin_name, bool oldest_v2 = false);
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Valid as long as this object lives (the instance's whole life).
  const fibd_cache_host* services() const { return &host_; }

  // The metrics the plugin reported so far, sorted by name.
  std::vector<PluginMetric> metrics() const;

  // The host clock of fibd_cache_call.deadline_ns.
  static std::uint64_t monotonic_ns() noexcept;

  // fibd_cache_call.loop for a call made on this thread: its event loop, or
  // nullptr.
  static fibd_cache_loop* current_loop() noexcept;

 private:
  static PluginHost* self(fibd_cache_host_ctx* ctx) noexcept;
  static void log(fibd_cache_host_ctx* ctx, fibd_cache_log_level level,
                  std::uint64_t request_id, const char* message) noexcept;
  static std::uint64_t clock(fibd_cache_host_ctx* ctx) noexcept;
  static void metric_add(fibd_cache_host_ctx* ctx, const char* name,
                         std::uint64_t delta) noexcept;
  static void metric_set(fibd_cache_host_ctx* ctx, const char* name,
                         std::int64_t value) noexcept;
  // Event-loop watches (plugin_host_loop.cpp).
  static fibd_cache_watch* watch_new(fibd_cache_host_ctx* ctx, fibd_cache_loop* loop,
                                     std::int32_t fd, fibd_cache_watch_fn fn,
                                     void* arg) noexcept;
  static std::int32_t watch_set(fibd_cache_host_ctx* ctx, fibd_cache_watch* watch,
                                std::uint32_t events, std::uint64_t timeout_ns) noexcept;
  static std::int32_t watch_activate(fibd_cache_host_ctx* ctx,
                                     fibd_cache_watch* watch) noexcept;
  static void watch_free(fibd_cache_host_ctx* ctx, fibd_cache_watch* watch) noexcept;
  // The slot for `name`, or nullptr (bad name, full, kind mismatch: logged
  // once). Caller holds metrics_mutex_.
  struct Slot {
    fibd_cache_metric_kind kind;
    std::int64_t value;  // counters wrap as uint64
  };
  Slot* slot(const char* name, fibd_cache_metric_kind kind);

  std::string name_;
  fibd_cache_host host_{};
  mutable std::mutex metrics_mutex_;
  std::map<std::string, Slot, std::less<>> metrics_;
  bool complained_ = false;
};

// A plugin's log level (fibd_cache_log_level, out-of-range values clamped)
// as an spdlog level.
spdlog::level::level_enum plugin_log_level(fibd_cache_log_level level);

// True for a plugin metric name: [a-z0-9_], 1..64 bytes.
bool valid_plugin_metric_name(const char* name);

}  // namespace fibd
