// What the host lends a plugin for one call: the error buffer and the sinks
// a get() delivers its value through and stats() its counters through. Each
// sink accepts what the ABI allows and records any breach of it. And the
// options create() reads.
#pragma once

#include <fibd/cache_plugin.h>

#include <algorithm>
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

// cache.options as create() sees them: `stride` bytes apart (at least
// sizeof(fibd_cache_option), rounded up to its alignment). The bytes between
// two options are 0xa5: read as a pointer, that is an address no process
// has, so a plugin indexing config->options[i] faults instead of guessing.
class OptionArray {
 public:
  OptionArray(const std::vector<std::pair<std::string, std::string>>& options,
              std::uint32_t stride) {
    constexpr std::size_t align = alignof(fibd_cache_option);
    std::size_t s = std::max<std::size_t>(stride, sizeof(fibd_cache_option));
    stride_ = static_cast<std::uint32_t>((s + align - 1) / align * align);
    slots_.resize(options.size() * stride_ / sizeof(Slot) + 1);
    std::memset(slots_.data(), 0xa5, slots_.size() * sizeof(Slot));
    auto* bytes = reinterpret_cast<unsigned char*>(slots_.data());
    for (std::size_t i = 0; i < options.size(); ++i) {
      const fibd_cache_option o{sizeof(fibd_cache_option), 0, options[i].first.c_str(),
                                options[i].second.c_str()};
      std::memcpy(bytes + i * stride_, &o, sizeof o);
    }
    empty_ = options.empty();
  }
  const fibd_cache_option* first() const {
    return empty_ ? nullptr : reinterpret_cast<const fibd_cache_option*>(slots_.data());
  }
  std::uint32_t stride() const { return stride_; }

 private:
  // Storage aligned for fibd_cache_option.
  struct alignas(fibd_cache_option) Slot {
    unsigned char bytes[alignof(fibd_cache_option)];
  };
  std::vector<Slot> slots_;
  std::uint32_t stride_ = sizeof(fibd_cache_option);
  bool empty_ = true;
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
