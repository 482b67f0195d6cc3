#include "plugin_host/descriptor_check.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "base/escape.h"
#include "plugin_host/descriptor_layout.h"

namespace fibd {

#ifdef FIBD_ABI_VERSION_CMAKE
static_assert(FIBD_ABI_VERSION_CMAKE == FIBD_CACHE_ABI_VERSION,
              "FIBD_ABI_VERSION in CMakeLists.txt and FIBD_CACHE_ABI_VERSION in "
              "<fibd/cache_plugin.h> must agree");
#endif

namespace {

// Length of s, or max + 1 if it is longer than max (never reads further).
std::size_t bounded_len(const char* s, std::size_t max) { return strnlen(s, max + 1); }

// A plugin-supplied string, quoted and escaped for a message.
std::string quote_prefix(const char* s, std::size_t len) {
  return "\"" + escape_untrusted(std::string_view(s, len), 32) + "\"";
}

std::optional<std::string> check_name(const char* name) {
  if (name == nullptr) return "its name is NULL";
  std::size_t len = bounded_len(name, kMaxPluginNameLen);
  if (len == 0) return "its name is empty";
  if (len > kMaxPluginNameLen) {
    return "its name is longer than " + std::to_string(kMaxPluginNameLen) + " bytes";
  }
  for (std::size_t i = 0; i < len; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return "its name " + quote_prefix(name, len) + " has characters outside [a-z0-9_-]";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_version(const char* version) {
  if (version == nullptr) return "its version is NULL";
  std::size_t len = bounded_len(version, kMaxPluginVersionLen);
  if (len == 0) return "its version is empty";
  if (len > kMaxPluginVersionLen) {
    return "its version is longer than " + std::to_string(kMaxPluginVersionLen) +
           " bytes";
  }
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(version[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return "its version " + quote_prefix(version, len) +
             " is not printable ASCII without spaces";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_description(const char* description) {
  if (description == nullptr) return std::nullopt;
  std::size_t len = bounded_len(description, kMaxPluginDescriptionLen);
  if (len > kMaxPluginDescriptionLen) {
    return "its description is longer than " + std::to_string(kMaxPluginDescriptionLen) +
           " bytes";
  }
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(description[i]);
    if (c < 0x20 || c == 0x7f) {
      return "its description " + quote_prefix(description, len) +
             " contains control characters";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_descriptor(const fibd_cache_descriptor* d,
                                               std::uint32_t host_abi_version) {
  if (d == nullptr) return "the factory returned a NULL descriptor";
  // abi_version comes first: a different ABI may lay out everything else
  // differently, so nothing else is read before it matches.
  if (d->abi_version != host_abi_version) {
    std::string why =
        "it was built for cache plugin ABI version " + std::to_string(d->abi_version) +
        ", but this fibd speaks ABI version " + std::to_string(host_abi_version);
    if (d->abi_version < host_abi_version) {
      why += " (rebuild it against <fibd/cache_plugin.h> of ABI version " +
             std::to_string(host_abi_version) + ")";
    }
    return why;
  }
  if (d->struct_size < kMinDescriptorSize) {
    return "its descriptor struct_size is " + std::to_string(d->struct_size) +
           " bytes, smaller than the " + std::to_string(kMinDescriptorSize) +
           " bytes that hold the required fields";
  }
  std::string missing;
  auto need = [&missing](bool present, const char* what) {
    if (present) return;
    if (!missing.empty()) missing += ", ";
    missing += what;
  };
  need(d->create != nullptr, "create");
  need(d->destroy != nullptr, "destroy");
  need(d->get != nullptr, "get");
  need(d->set != nullptr, "set");
  if (!missing.empty()) return "its descriptor lacks required entry points: " + missing;
  if (std::uint64_t unknown = d->required_features & ~FIBD_CACHE_FEATURES_KNOWN) {
    char bits[32];
    std::snprintf(bits, sizeof bits, "0x%llx", static_cast<unsigned long long>(unknown));
    return std::string("it requires features this fibd does not know (bits ") + bits +
           " of required_features): upgrade fibd or rebuild the plugin without them";
  }
  if ((d->required_features & FIBD_CACHE_FEATURE_ASYNC) && d->cancel == nullptr) {
    return "it requires FIBD_CACHE_FEATURE_ASYNC but offers no cancel()";
  }
  if (!(d->required_features & FIBD_CACHE_FEATURE_ASYNC) && d->cancel != nullptr) {
    return "it sets cancel() but does not require FIBD_CACHE_FEATURE_ASYNC (cancel is "
           "for asynchronous plugins only)";
  }
  if ((d->capabilities & FIBD_CACHE_CAP_NON_BLOCKING) &&
      !(d->capabilities & FIBD_CACHE_CAP_THREAD_SAFE)) {
    return "it claims FIBD_CACHE_CAP_NON_BLOCKING without FIBD_CACHE_CAP_THREAD_SAFE "
           "(calls on the event loops would all wait on one lock): a non-blocking "
           "plugin must be thread-safe";
  }
  if (auto e = check_name(d->name)) return e;
  if (auto e = check_version(d->version)) return e;
  if (auto e = check_description(d->description)) return e;
  return std::nullopt;
}

PluginDescriptor copy_descriptor(const fibd_cache_descriptor& d) {
  PluginDescriptor out;
  out.abi_version = d.abi_version;
  out.struct_size = d.struct_size;
  out.name.assign(d.name, bounded_len(d.name, kMaxPluginNameLen));
  out.version.assign(d.version, bounded_len(d.version, kMaxPluginVersionLen));
  if (d.description != nullptr) {
    out.description.assign(d.description,
                           bounded_len(d.description, kMaxPluginDescriptionLen));
  }
  out.capabilities = d.capabilities;
  out.required_features = d.required_features;
  out.create = d.create;
  out.destroy = d.destroy;
  out.get = d.get;
  out.set = d.set;
  out.cancel = d.cancel;
  if (FIBD_DESCRIPTOR_COVERS(d, del)) out.del = d.del;
  if (FIBD_DESCRIPTOR_COVERS(d, clear)) out.clear = d.clear;
  if (FIBD_DESCRIPTOR_COVERS(d, stats)) out.stats = d.stats;
  return out;
}

std::optional<PluginDescriptor> read_descriptor(
    fibd_cache_factory_fn factory, const std::string& factory_name, std::string& why,
    std::uint32_t host_abi_version,
    const std::function<void(const fibd_cache_descriptor&)>& inspect) {
  const fibd_cache_descriptor* descriptor = nullptr;
  try {
    descriptor = factory();
  } catch (...) {
    why = "its factory '" + factory_name + "' threw a C++ exception";
    return std::nullopt;
  }
  if (descriptor == nullptr) {
    why = "its factory '" + factory_name + "' returned a NULL descriptor";
    return std::nullopt;
  }
  if (inspect) inspect(*descriptor);
  if (auto problem = validate_descriptor(descriptor, host_abi_version)) {
    why = std::move(*problem);
    if (descriptor->abi_version == host_abi_version) {
      std::string advice = layout_advice(*descriptor);
      if (!advice.empty()) why += ". " + advice;
    }
    return std::nullopt;
  }
  return copy_descriptor(*descriptor);
}

std::string describe_capabilities(std::uint64_t capabilities,
                                  std::uint64_t required_features) {
  std::string out;
  if (capabilities & FIBD_CACHE_CAP_THREAD_SAFE) out += "thread-safe";
  if (capabilities & FIBD_CACHE_CAP_NON_BLOCKING) {
    if (!out.empty()) out += ", ";
    out += "non-blocking";
  }
  if (out.empty()) out = "none";
  if (required_features & FIBD_CACHE_FEATURE_ASYNC) out += ", async";
  return out;
}

}  // namespace fibd
