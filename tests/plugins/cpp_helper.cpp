// A C++ plugin written with <fibd/cache_plugin.hpp>, with hooks to exercise
// the helper: exceptions, option checks, host logging, TTL delivery.
#include <fibd/cache_plugin.hpp>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace {

using fibd::plugin::Config;
using fibd::plugin::Host;
using fibd::plugin::LogLevel;
using fibd::plugin::Lookup;
using fibd::plugin::Value;

class HelperCache {
 public:
  HelperCache(const Host& host, const Config& config)
      : host_(host), default_ttl_(config.default_ttl()) {
    config.reject_unknown({"fail", "greeting"});
    if (auto why = config.option("fail")) {
      throw std::runtime_error("asked to fail: " + std::string(*why));
    }
    host_.info(std::string(config.option("greeting").value_or("hello")) +
               "\nsecond line");
    host_.log(static_cast<LogLevel>(99), "too loud");
  }
  ~HelperCache() { host_.info("destroyed"); }

  Lookup get(std::string_view key, Value& out) {
    if (key == "throw") throw std::runtime_error("boom from get");
    if (key == "throw_int") throw 42;
    if (key == "hit_without_put") return Lookup::hit;
    std::lock_guard<std::mutex> lock(mu_);
    if (key == "last_ttl") {
      out.put(std::to_string(last_ttl_.count()));
      return Lookup::hit;
    }
    if (key == "default_ttl") {
      out.put(std::to_string(default_ttl_.count()));
      return Lookup::hit;
    }
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return Lookup::not_found;
    out.put(it->second);
    return Lookup::hit;
  }

  void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
    if (key == "throw") throw fibd::plugin::Error("set refused");
    std::lock_guard<std::mutex> lock(mu_);
    last_ttl_ = ttl;
    map_[std::string(key)] = std::string(value);
  }

  bool del(std::string_view key) {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.erase(std::string(key)) > 0;
  }

 private:
  Host host_;
  std::chrono::milliseconds default_ttl_;
  std::mutex mu_;
  std::map<std::string, std::string> map_;
  std::chrono::milliseconds last_ttl_{-1};
};

}  // namespace

FIBD_CACHE_PLUGIN(HelperCache, "cpp_helper", "2.0.0", "test plugin for cache_plugin.hpp",
                  FIBD_CACHE_CAP_THREAD_SAFE)
