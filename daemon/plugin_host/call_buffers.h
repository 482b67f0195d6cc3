// What the host lends a plugin for one call: the error buffer and the sinks
// a get() delivers its value through and stats() its counters through. Each
// sink accepts what the ABI allows and records any breach of it.
#pragma once

#include <fibd/cache_plugin.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace fibd::detail {

// Every call gets a fresh host-owned error buffer (the header promises at
// least 256 bytes). Only its first byte is cleared: a get that hits is on
// the hot path, and zeroing a kilobyte per call shows in profiles.
struct ErrorBuffer {
  ErrorBuffer() { text[0] = '\0'; }
  char text[1024];
  std::string message() const {
    std::size_t len = strnlen(text, sizeof text - 1);
    if (len == 0) return "(the plugin gave no reason)";
    return std::string(text, len);
  }
};

struct ValueSink {
  std::string* value = nullptr;
  int puts = 0;
  bool failed = false;

  static std::int32_t put(fibd_cache_sink_ctx* ctx, const void* data,
                          std::size_t len) noexcept {
    auto* self = reinterpret_cast<ValueSink*>(ctx);
    if (++self->puts > 1 || (data == nullptr && len > 0)) {
      self->failed = true;
      return -1;
    }
    try {
      if (len == 0) {
        self->value->clear();
      } else {
        self->value->assign(static_cast<const char*>(data), len);
      }
    } catch (...) {
      self->failed = true;
      return -1;
    }
    return 0;
  }
};

struct StatsSink {
  std::vector<std::pair<std::string, std::uint64_t>>* out = nullptr;
  bool failed = false;

  static void put(fibd_cache_sink_ctx* ctx, const char* name,
                  std::uint64_t value) noexcept {
    auto* self = reinterpret_cast<StatsSink*>(ctx);
    try {
      self->out->emplace_back(name ? std::string(name, strnlen(name, 128)) : "", value);
    } catch (...) {
      self->failed = true;
    }
  }
};

}  // namespace fibd::detail
