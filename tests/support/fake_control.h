// A test double for fibd::Control: state the test sets, reloads completed on
// the fake's own worker thread after a delay (like the real, asynchronous
// reload path), scripted results, and plugin swaps that notify the listener
// from that worker thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "control/control.h"

namespace fibd::test {

class FakeControl : public Control {
 public:
  explicit FakeControl(std::chrono::milliseconds delay = std::chrono::milliseconds(20))
      : delay_(delay) {
    snapshot_.version = "0.1.0-test";
    snapshot_.plugin_name = "memory";
    snapshot_.plugin_version = "1.0.0";
    snapshot_.plugin_path = "/usr/lib/fibd/plugins/memory.so";
    snapshot_.listen = "127.0.0.1:8080";
    worker_ = std::thread([this] { run(); });
  }

  // Runs every queued reload at once (done is called exactly once, always).
  ~FakeControl() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      held_ = false;
    }
    cv_.notify_all();
    worker_.join();
  }

  FakeControl(const FakeControl&) = delete;
  FakeControl& operator=(const FakeControl&) = delete;

  // --- Control ---
  void request_reload(bool reread_config,
                      std::function<void(const ReloadResult&)> done) override {
    std::lock_guard lock(mutex_);
    Job job;
    job.reread_config = reread_config;
    job.done = std::move(done);
    jobs_.push_back(std::move(job));
    ++requested_;
    reread_flags_.push_back(reread_config);
    max_waiting_ = std::max(max_waiting_, jobs_.size());
    cv_.notify_all();
    progress_cv_.notify_all();
  }

  StatusSnapshot snapshot() const override {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }

  void on_plugin_changed(PluginChangedListener listener) override {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
  }

  // --- test controls ---
  void update(const std::function<void(StatusSnapshot&)>& change) {
    std::lock_guard lock(mutex_);
    change(snapshot_);
  }
  // Results for the next reloads, in order; afterwards every reload is Ok.
  void push_result(ReloadResult::Kind kind, std::string message = {}) {
    std::lock_guard lock(mutex_);
    ReloadResult r;
    r.kind = kind;
    r.message = std::move(message);
    results_.push_back(std::move(r));
  }
  void set_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delay_ = delay;
  }
  // While held, queued reloads wait (the destructor releases them).
  void hold(bool held) {
    {
      std::lock_guard lock(mutex_);
      held_ = held;
    }
    cv_.notify_all();
  }
  // A successful swap to another plugin: updates the state and calls the
  // listener from the worker thread, like the application does.
  void swap_plugin(std::string name, std::string version, std::string path) {
    std::lock_guard lock(mutex_);
    Job job;
    job.swap = true;
    job.name = std::move(name);
    job.version = std::move(version);
    job.path = std::move(path);
    jobs_.push_back(std::move(job));
    cv_.notify_all();
  }

  bool has_listener() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(listener_);
  }
  std::size_t requested() const {
    std::lock_guard lock(mutex_);
    return requested_;
  }
  std::size_t completed() const {
    std::lock_guard lock(mutex_);
    return completed_;
  }
  std::size_t max_waiting() const {
    std::lock_guard lock(mutex_);
    return max_waiting_;
  }
  std::vector<bool> reread_flags() const {
    std::lock_guard lock(mutex_);
    return reread_flags_;
  }
  // Waits until `n` reloads were requested (true) or the timeout passed.
  bool wait_requested(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return progress_cv_.wait_for(lock, timeout, [&] { return requested_ >= n; });
  }
  bool wait_completed(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return progress_cv_.wait_for(lock, timeout, [&] { return completed_ >= n; });
  }

 private:
  struct Job {
    bool swap = false;
    bool reread_config = false;
    std::function<void(const ReloadResult&)> done;
    std::string name, version, path;
  };

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      progress_cv_.notify_all();
      cv_.wait(lock, [&] { return stopping_ || (!jobs_.empty() && !held_); });
      if (jobs_.empty()) {
        if (stopping_) return;
        continue;
      }
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      if (job.swap) {
        snapshot_.plugin_name = job.name;
        snapshot_.plugin_version = job.version;
        snapshot_.plugin_path = job.path;
        auto listener = listener_;
        lock.unlock();
        if (listener) listener(job.name, job.version, job.path);
        lock.lock();
        continue;
      }
      if (!stopping_) cv_.wait_for(lock, delay_, [&] { return stopping_; });
      ReloadResult result;
      if (!results_.empty()) {
        result = std::move(results_.front());
        results_.pop_front();
      }
      ++snapshot_.reloads;
      lock.unlock();
      job.done(result);
      lock.lock();
      ++completed_;
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable progress_cv_;
  std::thread worker_;
  std::chrono::milliseconds delay_;
  bool stopping_ = false;
  bool held_ = false;
  StatusSnapshot snapshot_;
  PluginChangedListener listener_;
  std::deque<Job> jobs_;
  std::deque<ReloadResult> results_;
  std::vector<bool> reread_flags_;
  std::size_t requested_ = 0;
  std::size_t completed_ = 0;
  std::size_t max_waiting_ = 0;
};

}  // namespace fibd::test
