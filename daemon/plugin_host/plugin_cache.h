// A running plugin instance behind the Cache seam: the C ABI calls, the
// capability rules (a mutex unless the plugin is thread-safe), asynchronous
// calls waited for until their deadline (then cancelled), and the ownership
// of the instance and of its image.
#pragma once

#include <fibd/cache_plugin.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin_host/cache.h"
#include "plugin_host/descriptor_check.h"
#include "plugin_host/pending_call.h"
#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_image.h"

namespace fibd {

// How one call is made: its request id (for the plugin's log lines) and
// its deadline (none: now + the instance's call timeout).
struct CallOptions {
  std::uint64_t request_id = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // The event loop making an async call, which the plugin may do its I/O on;
  // never set for a call that blocks its thread until the answer.
  fibd_cache_loop* loop = nullptr;
};

// What an async call looked like, for the conformance checker.
struct CallTrace {
  bool pending = false;               // the plugin answered PENDING
  bool cancelled = false;             // the host called cancel()
  bool completed = false;             // complete() ran (within the grace after cancel)
  bool completed_inline = false;      // ... on the calling thread, before returning
  std::shared_ptr<PendingCall> call;  // kept to count late extra completions
};

// How the host presents itself to create() and to every call. fibd uses the
// defaults; fibd-plugin-check varies them, so that a plugin relying on more
// than the header promises fails there and not in someone's daemon.
struct HostShape {
  // Distance between two options handed to create() (rounded up to their
  // alignment). A larger one leaves poisoned bytes between them, which a
  // plugin indexing config->options[i] reads as pointers that fault.
  std::uint32_t option_size = sizeof(fibd_cache_option);
  // The oldest version 2 host: fibd_cache_host ends at metric_set (its watch
  // services abort when called all the same) and fibd_cache_call at
  // completion (no loop).
  bool oldest_v2 = false;
};

class PluginCache final : public Cache {
 public:
  using Options = std::vector<std::pair<std::string, std::string>>;
  // How long a call that was cancelled may take to complete before the
  // caller stops waiting for it (the instance still waits before destroy()).
  static constexpr std::chrono::milliseconds kCancelGrace{1000};

  // Calls the plugin's create() with `options`, `default_ttl` and
  // `call_timeout`. Throws CacheLoadError with the plugin's own message when
  // create() fails.
  static std::shared_ptr<PluginCache> start(std::unique_ptr<PluginImage> image,
                                            PluginDescriptor descriptor,
                                            const Options& options,
                                            std::chrono::milliseconds default_ttl,
                                            std::chrono::milliseconds call_timeout,
                                            const HostShape& shape = {});

  // Waits for every pending completion, calls destroy() exactly once, then
  // unloads the image.
  ~PluginCache() override;

  PluginCache(const PluginCache&) = delete;
  PluginCache& operator=(const PluginCache&) = delete;

  // Cache
  const std::string& name() const override { return descriptor_.name; }
  const std::string& version() const override { return descriptor_.version; }
  const std::string& path() const override { return image_->path(); }
  bool non_blocking() const override { return descriptor_.non_blocking(); }
  FileIdentity file_identity() const override { return image_->identity(); }
  CacheOutcome get(std::string_view key, std::string& value, std::string& error) override;
  // Async plugins: the lookup holds no thread while it waits; `done` runs
  // from the thread that completes it (plugin_cache_async.cpp).
  bool async() const override { return descriptor_.async(); }
  std::shared_ptr<CacheLookupHandle> get_async(
      std::string_view key, std::chrono::steady_clock::time_point deadline,
      CacheLookupDone done) override;
  bool set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
           std::string& error) override;

  // The whole descriptor as copied at load, and where the image lives.
  const PluginDescriptor& descriptor() const { return descriptor_; }
  const std::string& load_path() const { return image_->load_path(); }

  // The ABI calls with their exact status, for the conformance checker and
  // tests. Contract violations (invalid status, HIT without a value, an
  // exception escaping the plugin) come back as FIBD_CACHE_ERROR with
  // "contract violation: ..." in error. del/clear/stats return ERROR when the
  // plugin does not offer them.
  // An async call that does not complete by its deadline is cancelled and
  // answers CANCELLED (or the plugin's late answer).
  fibd_cache_status get_status(std::string_view key, std::string& value,
                               std::string& error, const CallOptions& options = {},
                               CallTrace* trace = nullptr);
  fibd_cache_status set_status(std::string_view key, std::string_view value,
                               std::uint64_t ttl_ms, std::string& error,
                               const CallOptions& options = {},
                               CallTrace* trace = nullptr);
  fibd_cache_status del(std::string_view key, std::string& error);
  fibd_cache_status clear(std::string& error);
  fibd_cache_status stats(std::vector<std::pair<std::string, std::uint64_t>>& out,
                          std::string& error);

  // What a get's final status means for the Cache seam (CANCELLED: an
  // error, with `error` saying so).
  static CacheOutcome outcome_of(fibd_cache_status status, std::string& error);

  // Tells the plugin nobody waits for call `call_id` any more.
  void cancel_call(std::uint64_t call_id);

  // The metrics the plugin reported through the host services.
  std::vector<PluginMetric> plugin_metrics() const override { return host_.metrics(); }
  // Calls still owed a completion.
  std::uint64_t pending_calls() const { return pending_->count(); }

 private:
  PluginCache(std::unique_ptr<PluginImage> image, PluginDescriptor descriptor,
              std::chrono::milliseconds call_timeout, bool oldest_v2_host);
  std::unique_lock<std::mutex> lock();
  // Runs `call` under the instance's lock; nullopt when an exception escaped
  // the plugin (a contract violation).
  template <class Call>
  std::optional<fibd_cache_status> locked(Call&& call);
  // One synchronous call of an optional entry point (del, clear, stats):
  // under the instance's lock, no exception escaping, the status checked
  // against `allowed`, the plugin's message kept on error. `call` gets the
  // error buffer and its size.
  template <class Call>
  fibd_cache_status checked_call(const char* name,
                                 std::initializer_list<fibd_cache_status> allowed,
                                 std::string& error, Call&& call);
  fibd_cache_call make_call(const CallOptions& options, const PendingCall* pending);
  // Calls the plugin's get: its synchronous answer checked (HIT swaps the
  // value into `value`), or PENDING when `pending` will get the answer.
  fibd_cache_status start_get(std::string_view key, std::string& value,
                              std::string& error, const fibd_cache_call& call,
                              PendingCall* pending);
  // Waits for a PENDING call until its deadline, then cancels it.
  fibd_cache_status await(PendingCall& call, const fibd_cache_call& c, std::string& error,
                          CallTrace* trace);

  // Declaration order is destruction order in reverse: the image goes last.
  std::unique_ptr<PluginImage> image_;
  PluginDescriptor descriptor_;
  PluginHost host_;
  const std::chrono::milliseconds call_timeout_;
  const bool oldest_v2_host_;  // HostShape::oldest_v2
  fibd_cache_instance* instance_ = nullptr;
  std::mutex mutex_;  // serialises calls unless the plugin is thread-safe
  std::atomic<std::uint64_t> next_call_id_{1};
  std::shared_ptr<PendingCounter> pending_ = std::make_shared<PendingCounter>();
};

}  // namespace fibd
