// The C ABI of redis.so: the descriptor and its entry points. Nothing C++
// crosses this boundary; every exception stops here.
#include <fibd/cache_plugin.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "redis_cache.h"

#ifndef FIBD_REDIS_PLUGIN_VERSION
#define FIBD_REDIS_PLUGIN_VERSION "0.0.0"
#endif

namespace {

using fibd_redis::RedisCache;

void write_err(char* err, size_t err_len, std::string_view msg) {
  if (err == nullptr || err_len == 0) return;
  size_t n = std::min(msg.size(), err_len - 1);
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

std::string_view bytes(const void* p, size_t n) {
  return p == nullptr ? std::string_view()
                      : std::string_view(static_cast<const char*>(p), n);
}

RedisCache* self(fibd_cache_instance* instance) {
  return reinterpret_cast<RedisCache*>(instance);
}

template <typename F>
fibd_cache_status guarded(char* err, size_t err_len, F&& f) {
  try {
    std::string msg;
    fibd_cache_status s = f(msg);
    if (s == FIBD_CACHE_ERROR)
      write_err(err, err_len, msg.empty() ? "unknown error" : msg);
    return s;
  } catch (const std::exception& e) {
    write_err(err, err_len, std::string("redis plugin: ") + e.what());
  } catch (...) {
    write_err(err, err_len, "redis plugin: unknown exception");
  }
  return FIBD_CACHE_ERROR;
}

fibd_cache_instance* redis_create(const fibd_cache_host* host,
                                  const fibd_cache_config* config, char* err,
                                  size_t err_len) {
  try {
    std::string msg;
    auto cache = RedisCache::create(host, config, fibd_redis::real_env, msg);
    if (!cache) {
      write_err(err, err_len, msg.empty() ? "create failed" : msg);
      return nullptr;
    }
    return reinterpret_cast<fibd_cache_instance*>(cache.release());
  } catch (const std::exception& e) {
    write_err(err, err_len, std::string("redis plugin: ") + e.what());
  } catch (...) {
    write_err(err, err_len, "redis plugin: unknown exception");
  }
  return nullptr;
}

void redis_destroy(fibd_cache_instance* instance) { delete self(instance); }

fibd_cache_status redis_get(fibd_cache_instance* instance, const fibd_cache_call* call,
                            const void* key, size_t key_len, const fibd_cache_sink*,
                            char* err, size_t err_len) {
  return guarded(err, err_len, [&](std::string& msg) {
    return self(instance)->get(bytes(key, key_len), call, msg);
  });
}

fibd_cache_status redis_set(fibd_cache_instance* instance, const fibd_cache_call* call,
                            const void* key, size_t key_len, const void* value,
                            size_t value_len, uint64_t ttl_ms, char* err,
                            size_t err_len) {
  return guarded(err, err_len, [&](std::string& msg) {
    return self(instance)->set(bytes(key, key_len), bytes(value, value_len), ttl_ms, call,
                               msg);
  });
}

void redis_cancel(fibd_cache_instance* instance, uint64_t call_id) {
  try {
    self(instance)->cancel(call_id);
  } catch (...) {
    // Nothing in cancel() throws; no exception may cross the boundary anyway.
  }
}

fibd_cache_status redis_del(fibd_cache_instance* instance, const fibd_cache_call*,
                            const void* key, size_t key_len, char* err, size_t err_len) {
  return guarded(err, err_len, [&](std::string& msg) {
    return self(instance)->del(bytes(key, key_len), msg);
  });
}

fibd_cache_status redis_clear(fibd_cache_instance* instance, const fibd_cache_call*,
                              char* err, size_t err_len) {
  return guarded(err, err_len,
                 [&](std::string& msg) { return self(instance)->clear(msg); });
}

fibd_cache_status redis_stats(fibd_cache_instance* instance,
                              const fibd_cache_stats_sink* sink, char* err,
                              size_t err_len) {
  return guarded(err, err_len, [&](std::string&) {
    self(instance)->stats(sink);
    return FIBD_CACHE_OK;
  });
}

const fibd_cache_descriptor kDescriptor = {
    FIBD_CACHE_ABI_VERSION,
    sizeof(fibd_cache_descriptor),
    "redis",
    FIBD_REDIS_PLUGIN_VERSION,
    "Redis cache (hiredis): asynchronous, pipelined, bounded calls, circuit breaker",
    // Not NON_BLOCKING, although get/set only queue the command: see
    // README.md, "Threads and capabilities".
    FIBD_CACHE_CAP_THREAD_SAFE,
    FIBD_CACHE_FEATURE_ASYNC,
    redis_create,
    redis_destroy,
    redis_get,
    redis_set,
    redis_cancel,
    redis_del,
    redis_clear,
    redis_stats,
};

}  // namespace

FIBD_CACHE_EXPORT const fibd_cache_descriptor* fibd_cache_plugin(void) {
  return &kDescriptor;
}
