// Plugin descriptor validation, as the loader does it (read_descriptor():
// call the factory, validate, copy), with the descriptor built from fuzzed
// bytes behind a fake factory instead of a dlopen()ed one.
//
// The descriptor is placed in a heap block of exactly struct_size bytes (at
// least its first two fields), so ASan reports any read of a field the
// plugin's struct_size does not cover. Strings are NULL, NUL-terminated
// fuzzed bytes in blocks of their exact size, or unterminated blocks one byte
// longer than the documented maximum (the host promises never to read more).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "plugin_host/descriptor_check.h"

using namespace fibd;

namespace {

// Distinct non-null function pointers; never called.
fibd_cache_instance* fake_create(const fibd_cache_host*, const fibd_cache_config*, char*,
                                 size_t) {
  return nullptr;
}
void fake_destroy(fibd_cache_instance*) {}
fibd_cache_status fake_get(fibd_cache_instance*, const fibd_cache_call*, const void*,
                           size_t, const fibd_cache_sink*, char*, size_t) {
  return FIBD_CACHE_ERROR;
}
fibd_cache_status fake_set(fibd_cache_instance*, const fibd_cache_call*, const void*,
                           size_t, const void*, size_t, uint64_t, char*, size_t) {
  return FIBD_CACHE_ERROR;
}
void fake_cancel(fibd_cache_instance*, uint64_t) {}
fibd_cache_status fake_del(fibd_cache_instance*, const fibd_cache_call*, const void*,
                           size_t, char*, size_t) {
  return FIBD_CACHE_ERROR;
}
fibd_cache_status fake_clear(fibd_cache_instance*, const fibd_cache_call*, char*,
                             size_t) {
  return FIBD_CACHE_ERROR;
}
fibd_cache_status fake_stats(fibd_cache_instance*, const fibd_cache_stats_sink*, char*,
                             size_t) {
  return FIBD_CACHE_ERROR;
}

// What the fake factory returns for the current input.
const fibd_cache_descriptor* g_descriptor = nullptr;
bool g_throw = false;
const fibd_cache_descriptor* fake_factory() {
  if (g_throw) throw std::runtime_error("factory failure");
  return g_descriptor;
}

struct Block {
  std::unique_ptr<char[]> bytes;
  const char* get() const { return bytes.get(); }
};

// A string field: NULL, a NUL-terminated copy, or max+1 bytes without NUL.
Block make_string(FuzzedDataProvider& in, std::size_t max) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return {};
    case 1: {
      std::string s(max + 1, 'a');
      const std::string tail =
          in.ConsumeBytesAsString(in.ConsumeIntegralInRange<std::size_t>(0, 4));
      s.replace(s.size() - std::min(s.size(), tail.size()), tail.size(), tail);
      auto b = std::make_unique<char[]>(max + 1);
      std::memcpy(b.get(), s.data(), max + 1);  // no terminator within the block
      return {std::move(b)};
    }
    default: {
      const std::string s = in.ConsumeRandomLengthString(max + 16);
      auto b = std::make_unique<char[]>(s.size() + 1);
      std::memcpy(b.get(), s.data(), s.size());
      b[s.size()] = '\0';
      return {std::move(b)};
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  fibd_cache_descriptor full{};
  full.abi_version =
      in.ConsumeBool() ? FIBD_CACHE_ABI_VERSION : in.ConsumeIntegral<uint32_t>();
  full.struct_size =
      in.ConsumeBool()
          ? static_cast<uint32_t>(sizeof(fibd_cache_descriptor))
          : in.ConsumeIntegralInRange<uint32_t>(0, sizeof(fibd_cache_descriptor) + 64);
  full.capabilities = in.ConsumeIntegral<uint64_t>();
  full.required_features = in.ConsumeBool() ? 0 : in.ConsumeIntegral<uint64_t>();
  full.cancel = in.ConsumeBool() ? fake_cancel : nullptr;
  const uint8_t present = in.ConsumeIntegral<uint8_t>();  // which entry points are set
  full.create = (present & 1) ? fake_create : nullptr;
  full.destroy = (present & 2) ? fake_destroy : nullptr;
  full.get = (present & 4) ? fake_get : nullptr;
  full.set = (present & 8) ? fake_set : nullptr;
  full.del = (present & 16) ? fake_del : nullptr;
  full.clear = (present & 32) ? fake_clear : nullptr;
  full.stats = (present & 64) ? fake_stats : nullptr;
  g_throw = (present & 128) && in.ConsumeBool();
  const bool null_descriptor = in.ConsumeIntegralInRange<int>(0, 15) == 0;
  Block name = make_string(in, kMaxPluginNameLen);
  Block version = make_string(in, kMaxPluginVersionLen);
  Block description = make_string(in, kMaxPluginDescriptionLen);
  full.name = name.get();
  full.version = version.get();
  full.description = description.get();

  // Only what struct_size covers exists in the plugin's memory.
  const std::size_t head = offsetof(fibd_cache_descriptor, name);
  const std::size_t bytes =
      std::max<std::size_t>(head, std::min<std::size_t>(full.struct_size, sizeof full));
  auto block = std::make_unique<unsigned char[]>(bytes);
  std::memcpy(block.get(), &full, bytes);
  g_descriptor = null_descriptor
                     ? nullptr
                     : reinterpret_cast<const fibd_cache_descriptor*>(block.get());

  std::string why;
  const std::optional<PluginDescriptor> d =
      read_descriptor(&fake_factory, "fuzz_factory", why);
  if (!d) {
    FUZZ_CHECK(!why.empty(), "refused without a reason");
    FUZZ_CHECK(why.size() < 512, "reason of %zu bytes", why.size());
    for (unsigned char c : why)
      FUZZ_CHECK(c >= 0x20 && c < 0x7f, "byte 0x%02x in reason", c);
    return 0;
  }
  // Accepted: the contract's requirements hold, and the copy is faithful.
  FUZZ_CHECK(!g_throw && !null_descriptor, "accepted a failing factory");
  FUZZ_CHECK(full.abi_version == FIBD_CACHE_ABI_VERSION, "abi %u", full.abi_version);
  FUZZ_CHECK(full.struct_size >= kMinDescriptorSize, "struct_size %u", full.struct_size);
  FUZZ_CHECK(d->create && d->destroy && d->get && d->set, "required entry point missing");
  FUZZ_CHECK(d->name.size() >= 1 && d->name.size() <= kMaxPluginNameLen,
             "name length %zu", d->name.size());
  FUZZ_CHECK(d->name == full.name, "name copy");
  for (char c : d->name) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-',
               "name byte 0x%02x", (unsigned char)c);
  }
  FUZZ_CHECK(d->version.size() >= 1 && d->version.size() <= kMaxPluginVersionLen,
             "version length %zu", d->version.size());
  for (unsigned char c : d->version)
    FUZZ_CHECK(c > 0x20 && c < 0x7f, "version byte 0x%02x", c);
  FUZZ_CHECK(d->description.size() <= kMaxPluginDescriptionLen, "description length %zu",
             d->description.size());
  for (unsigned char c : d->description)
    FUZZ_CHECK(c >= 0x20 && c != 0x7f, "description byte");
  // Optional entry points only when struct_size covers them.
  auto covered = [&](std::size_t offset) {
    return full.struct_size >= offset + sizeof(void*);
  };
  FUZZ_CHECK(!d->del || covered(offsetof(fibd_cache_descriptor, del)),
             "del beyond struct_size");
  FUZZ_CHECK(!d->clear || covered(offsetof(fibd_cache_descriptor, clear)),
             "clear beyond");
  FUZZ_CHECK(!d->stats || covered(offsetof(fibd_cache_descriptor, stats)),
             "stats beyond");
  FUZZ_CHECK(
      d->del == (covered(offsetof(fibd_cache_descriptor, del)) ? full.del : nullptr),
      "del copy");
  FUZZ_CHECK(d->capabilities == full.capabilities, "capabilities copy");
  FUZZ_CHECK((full.required_features & ~FIBD_CACHE_FEATURES_KNOWN) == 0,
             "accepted unknown required features");
  FUZZ_CHECK(!d->async() || d->cancel, "async without cancel");
  FUZZ_CHECK(!d->non_blocking() || d->thread_safe(), "non-blocking without thread-safe");
  return 0;
}
