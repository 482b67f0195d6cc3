// One call of an async plugin (FIBD_CACHE_FEATURE_ASYNC) from the host's side:
// the completion it hands the plugin, the answer that comes back through it
// (from any thread, possibly before the plugin's get/set has returned), and
// a way to wait for it.
//
// Lifetime: the plugin's share of the call is held from before the plugin
// call until complete() (or until the plugin answered without PENDING), so
// the completion context is valid for exactly as long as the contract
// promises. A PendingCounter, shared with the instance, counts the calls
// still owed a completion: destroy() waits for it to reach zero.
#pragma once

#include <fibd/cache_plugin.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fibd {

// Calls still owed a completion by one instance.
class PendingCounter {
 public:
  void add();
  void remove();
  // True when none is left by `deadline`.
  bool wait_idle_until(std::chrono::steady_clock::time_point deadline);
  std::uint64_t count() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t count_ = 0;
};

class PendingCall {
 public:
  // `what` is "get" or "set" (which statuses are valid, and for messages).
  static std::shared_ptr<PendingCall> start(bool is_get,
                                            std::shared_ptr<PendingCounter> counter);
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;
  ~PendingCall();

  const fibd_cache_completion* completion() const { return &completion_; }

  // The plugin answered the call itself with `status`: PENDING keeps the
  // plugin's share until complete(); anything else releases it, and a later
  // complete() is a contract violation.
  void answered(fibd_cache_status status);
  // Runs `fn` once complete() has stored the answer, on the completing
  // thread, outside the call's lock (the call is alive during `fn`). Set it
  // before the plugin is called.
  void on_done(std::function<void()> fn) { on_done_ = std::move(fn); }
  // True once complete() has run, waiting at most until `deadline`.
  bool wait_until(std::chrono::steady_clock::time_point deadline);

  // The answer, valid once wait_until() returned true. Statuses outside the
  // contract come back as ERROR with "contract violation: ..." in message.
  fibd_cache_status status() const;
  std::string& value() { return value_; }
  const std::string& message() const { return message_; }
  // How many times complete() ran (1 is right), and whether the first one
  // ran on the thread that made the call, before the call returned.
  int completions() const;
  bool completed_inline() const { return completed_inline_; }
  std::thread::id completed_on() const { return completed_on_; }

 private:
  PendingCall(bool is_get, std::shared_ptr<PendingCounter> counter);
  static void complete(fibd_cache_completion_ctx* ctx, fibd_cache_status status,
                       const void* data, std::size_t len, const char* message) noexcept;
  void release_plugin_share(std::unique_lock<std::mutex>& lock);

  const bool is_get_;
  const std::thread::id caller_ = std::this_thread::get_id();
  std::shared_ptr<PendingCounter> counter_;
  fibd_cache_completion completion_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<PendingCall> plugin_share_;  // until complete()
  std::function<void()> on_done_;
  bool answered_ = false;
  bool done_ = false;
  int completions_ = 0;
  bool completed_inline_ = false;
  std::thread::id completed_on_;
  fibd_cache_status status_ = FIBD_CACHE_ERROR;
  std::string value_;
  std::string message_;
};

}  // namespace fibd
