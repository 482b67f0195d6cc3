#include "entry_points.h"

namespace fibd::plugin_check {

namespace {

constexpr const char* kNames[kEntryPoints] = {"create", "destroy", "get",   "set",
                                              "cancel", "del",     "clear", "stats"};
enum Slot { kCreate, kDestroy, kGet, kSet, kCancel, kDel, kClear, kStats };

PluginDescriptor g_plugin;              // the plugin's own entry points
std::atomic<int>* g_running = nullptr;  // shared with the parent
thread_local const char* t_current = nullptr;

// Marks the calling thread as inside entry point `slot` for its lifetime.
class Inside {
 public:
  explicit Inside(Slot slot) : slot_(slot), outer_(t_current) {
    t_current = kNames[slot];
    g_running[slot].fetch_add(1, std::memory_order_relaxed);
  }
  ~Inside() {
    g_running[slot_].fetch_sub(1, std::memory_order_relaxed);
    t_current = outer_;
  }
  Inside(const Inside&) = delete;
  Inside& operator=(const Inside&) = delete;

 private:
  Slot slot_;
  const char* outer_;
};

fibd_cache_instance* traced_create(const fibd_cache_host* host,
                                   const fibd_cache_config* config, char* err,
                                   size_t err_len) {
  Inside in(kCreate);
  return g_plugin.create(host, config, err, err_len);
}
void traced_destroy(fibd_cache_instance* instance) {
  Inside in(kDestroy);
  g_plugin.destroy(instance);
}
fibd_cache_status traced_get(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const fibd_cache_sink* sink,
                             char* err, size_t err_len) {
  Inside in(kGet);
  return g_plugin.get(instance, call, key, key_len, sink, err, err_len);
}
fibd_cache_status traced_set(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, const void* value,
                             size_t value_len, uint64_t ttl_ms, char* err,
                             size_t err_len) {
  Inside in(kSet);
  return g_plugin.set(instance, call, key, key_len, value, value_len, ttl_ms, err,
                      err_len);
}
void traced_cancel(fibd_cache_instance* instance, uint64_t call_id) {
  Inside in(kCancel);
  g_plugin.cancel(instance, call_id);
}
fibd_cache_status traced_del(fibd_cache_instance* instance, const fibd_cache_call* call,
                             const void* key, size_t key_len, char* err, size_t err_len) {
  Inside in(kDel);
  return g_plugin.del(instance, call, key, key_len, err, err_len);
}
fibd_cache_status traced_clear(fibd_cache_instance* instance, const fibd_cache_call* call,
                               char* err, size_t err_len) {
  Inside in(kClear);
  return g_plugin.clear(instance, call, err, err_len);
}
fibd_cache_status traced_stats(fibd_cache_instance* instance,
                               const fibd_cache_stats_sink* sink, char* err,
                               size_t err_len) {
  Inside in(kStats);
  return g_plugin.stats(instance, sink, err, err_len);
}

}  // namespace

void trace_entry_points(PluginDescriptor& d, std::atomic<int>* running) {
  g_plugin = d;
  g_running = running;
  d.create = &traced_create;
  d.destroy = &traced_destroy;
  d.get = &traced_get;
  d.set = &traced_set;
  // Optional ones stay NULL when the plugin has none.
  if (d.cancel) d.cancel = &traced_cancel;
  if (d.del) d.del = &traced_del;
  if (d.clear) d.clear = &traced_clear;
  if (d.stats) d.stats = &traced_stats;
}

const char* current_entry_point() noexcept { return t_current; }

std::string entry_points_running(const std::atomic<int>* running) {
  std::string out;
  for (int i = 0; i < kEntryPoints; ++i) {
    if (running[i].load(std::memory_order_relaxed) <= 0) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out;
}

}  // namespace fibd::plugin_check
