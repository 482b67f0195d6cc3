// fibd_cache_host's event-loop watches: the ABI's handles are the host's
// WatchLoop and LoopWatch objects (base/loop_watch.h), passed through as
// opaque pointers. A watch belongs to the plugin from watch_new() to
// watch_free().
#include "base/loop_watch.h"
#include "plugin_host/plugin_host.h"

namespace fibd {

namespace {

LoopWatch* watch_of(fibd_cache_watch* watch) {
  return reinterpret_cast<LoopWatch*>(watch);
}

}  // namespace

fibd_cache_loop* PluginHost::current_loop() noexcept {
  return reinterpret_cast<fibd_cache_loop*>(WatchLoop::current());
}

fibd_cache_watch* PluginHost::watch_new(fibd_cache_host_ctx*, fibd_cache_loop* loop,
                                        std::int32_t fd, fibd_cache_watch_fn fn,
                                        void* arg) noexcept {
  // Only the loop's own thread may add to it (the header says so); anything
  // else is refused rather than trusted.
  WatchLoop* current = WatchLoop::current();
  if (loop == nullptr || fn == nullptr || fd < -1 ||
      reinterpret_cast<WatchLoop*>(loop) != current)
    return nullptr;
  try {
    return reinterpret_cast<fibd_cache_watch*>(current->watch(fd, fn, arg).release());
  } catch (...) {
    return nullptr;
  }
}

std::int32_t PluginHost::watch_set(fibd_cache_host_ctx*, fibd_cache_watch* watch,
                                   std::uint32_t events,
                                   std::uint64_t timeout_ns) noexcept {
  if (watch == nullptr) return -1;
  constexpr std::uint64_t kMax = std::uint64_t{1} << 62;  // beyond any real timeout
  const auto timeout = std::chrono::nanoseconds(timeout_ns < kMax ? timeout_ns : kMax);
  return watch_of(watch)->set(events, timeout) ? 0 : -1;
}

std::int32_t PluginHost::watch_activate(fibd_cache_host_ctx*,
                                        fibd_cache_watch* watch) noexcept {
  return watch != nullptr && watch_of(watch)->activate() ? 0 : -1;
}

void PluginHost::watch_free(fibd_cache_host_ctx*, fibd_cache_watch* watch) noexcept {
  // Takes back what watch_new() handed over.
  std::unique_ptr<LoopWatch> owned(watch_of(watch));
}

}  // namespace fibd
