// Validation of a plugin's descriptor, and the host's own copy of it.
//
// validate_descriptor() is a pure function of the memory it is given (no I/O,
// no globals): it reads only the fields that descriptor->struct_size covers,
// and never more than the documented maximum of a string plus one byte.
#pragma once

#include <fibd/cache_plugin.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace fibd {

// Limits the host enforces on descriptor strings (see <fibd/cache_plugin.h>).
inline constexpr std::size_t kMaxPluginNameLen = 64;
inline constexpr std::size_t kMaxPluginVersionLen = 64;
inline constexpr std::size_t kMaxPluginDescriptionLen = 256;

// The smallest struct_size a descriptor may have: it covers every field of
// version 2 up to the last required one (abi_version .. cancel).
inline constexpr std::uint32_t kMinDescriptorSize = static_cast<std::uint32_t>(
    offsetof(fibd_cache_descriptor, cancel) + sizeof(fibd_cache_descriptor::cancel));

// True when the descriptor's struct_size covers `size` bytes at `offset`;
// FIBD_DESCRIPTOR_COVERS(d, field) for a field.
inline bool descriptor_covers(const fibd_cache_descriptor& d, std::size_t offset,
                              std::size_t size) {
  return d.struct_size >= offset + size;
}
#define FIBD_DESCRIPTOR_COVERS(d, field)                                 \
  ::fibd::descriptor_covers((d), offsetof(fibd_cache_descriptor, field), \
                            sizeof(fibd_cache_descriptor::field))

// nullopt when the descriptor is usable by this host; otherwise what is
// wrong, as a sentence fragment without the plugin's path ("ABI version 1,
// but this fibd speaks ABI version 2"). Refused as well: required feature
// bits this host does not know, FEATURE_ASYNC without cancel(), cancel()
// without FEATURE_ASYNC (a sign of entry points shifted by a positional
// initializer), and
// NON_BLOCKING without THREAD_SAFE (one lock across every event loop).
std::optional<std::string> validate_descriptor(
    const fibd_cache_descriptor* descriptor,
    std::uint32_t host_abi_version = FIBD_CACHE_ABI_VERSION);

// Everything the host uses of a descriptor, copied at load so nothing is read
// from plugin memory afterwards. Optional entry points the plugin's
// struct_size does not cover are null.
struct PluginDescriptor {
  std::uint32_t abi_version = 0;
  std::uint32_t struct_size = 0;
  std::string name;
  std::string version;
  std::string description;
  std::uint64_t capabilities = 0;
  std::uint64_t required_features = 0;

  decltype(fibd_cache_descriptor::create) create = nullptr;
  decltype(fibd_cache_descriptor::destroy) destroy = nullptr;
  decltype(fibd_cache_descriptor::get) get = nullptr;
  decltype(fibd_cache_descriptor::set) set = nullptr;
  decltype(fibd_cache_descriptor::cancel) cancel = nullptr;
  decltype(fibd_cache_descriptor::del) del = nullptr;
  decltype(fibd_cache_descriptor::clear) clear = nullptr;
  decltype(fibd_cache_descriptor::stats) stats = nullptr;

  bool thread_safe() const { return (capabilities & FIBD_CACHE_CAP_THREAD_SAFE) != 0; }
  bool non_blocking() const { return (capabilities & FIBD_CACHE_CAP_NON_BLOCKING) != 0; }
  bool async() const { return (required_features & FIBD_CACHE_FEATURE_ASYNC) != 0; }
};

// Copies a descriptor that validate_descriptor() accepted.
PluginDescriptor copy_descriptor(const fibd_cache_descriptor& descriptor);

// What the loader does with a plugin's factory function: calls it, validates
// the descriptor it returns and copies it. nullopt and `why` (a sentence
// fragment, as for validate_descriptor) when the plugin must be refused; a
// C++ exception escaping the factory is reported there, not propagated.
// `factory_name` only names the symbol in messages.
// `inspect`, when given, sees the descriptor before it is validated.
std::optional<PluginDescriptor> read_descriptor(
    fibd_cache_factory_fn factory, const std::string& factory_name, std::string& why,
    std::uint32_t host_abi_version = FIBD_CACHE_ABI_VERSION,
    const std::function<void(const fibd_cache_descriptor&)>& inspect = {});

// "thread-safe, non-blocking" / "none"; with required features ", async":
// for logs and reports.
std::string describe_capabilities(std::uint64_t capabilities,
                                  std::uint64_t required_features = 0);

}  // namespace fibd
