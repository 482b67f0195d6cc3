// An asynchronous plugin written with <fibd/cache_plugin.hpp>: a map served
// by its own thread, which completes each call a little later (option
// delay_ms, default 0), honouring TTLs. Keys starting with "hold:" are never answered
// until cancelled; keys starting with "inline:" complete before get_async returns.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fibd/cache_plugin.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace {

using fibd::plugin::Call;
using fibd::plugin::Config;
using fibd::plugin::GetCompletion;
using fibd::plugin::Host;
using fibd::plugin::SetCompletion;
using Clock = std::chrono::steady_clock;

class AsyncCache {
 public:
  AsyncCache(const Host& host, const Config& config) : host_(host) {
    config.reject_unknown({"delay_ms"});
    if (auto d = config.option("delay_ms"))
      delay_ = std::chrono::milliseconds(std::stoi(std::string(*d)));
    worker_ = std::thread([this] { run(); });
  }
  ~AsyncCache() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void get_async(std::string_view key, const Call& call, GetCompletion done) {
    host_.counter_add("gets", 1);
    if (call.loop() != nullptr) host_.counter_add("gets_on_a_loop", 1);
    if (key.substr(0, 7) == "inline:") {
      done.not_found();
      return;
    }
    Job job;
    job.id = call.call_id();
    job.hold = key.substr(0, 5) == "hold:";
    job.key = std::string(key);
    job.get.emplace(std::move(done));
    enqueue(std::move(job));
  }

  void set_async(std::string_view key, std::string_view value,
                 std::chrono::milliseconds ttl, const Call& call, SetCompletion done) {
    host_.counter_add("sets", 1);
    if (call.loop() != nullptr) host_.counter_add("sets_on_a_loop", 1);
    Job job;
    job.expires = ttl.count() == 0 ? Clock::time_point::max() : Clock::now() + ttl;
    job.id = call.call_id();
    job.key = std::string(key);
    job.value = std::string(value);
    job.set.emplace(std::move(done));
    enqueue(std::move(job));
  }

  void cancel(std::uint64_t call_id) {
    std::optional<Job> cancelled;
    {
      std::lock_guard lock(mu_);
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->id == call_id) {
          cancelled = std::move(*it);
          queue_.erase(it);
          break;
        }
      }
    }
    if (!cancelled) return;  // already answered, or being answered
    if (cancelled->get) cancelled->get->cancelled();
    if (cancelled->set) cancelled->set->cancelled();
  }

 private:
  struct Job {
    std::uint64_t id = 0;
    bool hold = false;
    Clock::time_point due;
    std::string key, value;
    Clock::time_point expires;
    std::optional<GetCompletion> get;
    std::optional<SetCompletion> set;
  };

  void enqueue(Job job) {
    job.due = Clock::now() + delay_;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_all();
  }

  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      auto it = queue_.begin();
      while (it != queue_.end() && it->hold) ++it;
      if (it == queue_.end()) {
        cv_.wait(lock);
        continue;
      }
      if (Clock::now() < it->due) {
        cv_.wait_until(lock, it->due);
        continue;
      }
      Job job = std::move(*it);
      queue_.erase(it);
      if (job.set) {
        map_[job.key] = Entry{job.value, job.expires};
        lock.unlock();
        job.set->ok();
      } else {
        auto found = map_.find(job.key);
        std::optional<std::string> value;
        if (found != map_.end() && found->second.expires <= Clock::now()) {
          map_.erase(found);
        } else if (found != map_.end()) {
          value = found->second.value;
        }
        lock.unlock();
        if (value) {
          job.get->hit(*value);
        } else {
          job.get->not_found();
        }
      }
      lock.lock();
    }
  }

  Host host_;
  std::chrono::milliseconds delay_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  struct Entry {
    std::string value;
    Clock::time_point expires;
  };
  std::map<std::string, Entry> map_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

FIBD_CACHE_PLUGIN(AsyncCache, "async_cache", "1.0.0", "async test plugin (own thread)",
                  FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING)
