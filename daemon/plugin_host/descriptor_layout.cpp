#include "plugin_host/descriptor_layout.h"

#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <utility>

#include "plugin_host/descriptor_check.h"

namespace fibd {

namespace {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// True when `value` is an address inside the object that holds the
// descriptor (the plugin's image).
bool address_in_same_object(std::uint64_t value, const void* anchor) {
  if (value == 0) return false;
  Dl_info mine{}, theirs{};
  if (dladdr(anchor, &mine) == 0 || mine.dli_fbase == nullptr) return false;
  const void* p = reinterpret_cast<const void*>(static_cast<std::uintptr_t>(value));
  return dladdr(p, &theirs) != 0 && theirs.dli_fbase == mine.dli_fbase;
}

template <class F>
const void* address(F f) {
  return reinterpret_cast<const void*>(f);
}

}  // namespace

std::vector<std::string> layout_hints(const fibd_cache_descriptor& d) {
  std::vector<std::string> out;
  const auto full = static_cast<std::uint32_t>(sizeof(fibd_cache_descriptor));
  if (d.struct_size == kAbi1DescriptorSize) {
    out.push_back("struct_size " + std::to_string(d.struct_size) +
                  " is an ABI 1 descriptor's (ABI 2: " + std::to_string(full) +
                  "), built against an older header?");
  } else if (d.struct_size < full) {
    out.push_back("struct_size " + std::to_string(d.struct_size) +
                  " is smaller than ABI 2's " + std::to_string(full) + ".");
  }
  const bool shifted_from_required_features =
      FIBD_DESCRIPTOR_COVERS(d, required_features) &&
      address_in_same_object(d.required_features, &d);
  if (shifted_from_required_features) {
    out.push_back("required_features " + hex(d.required_features) +
                  " is an address in the plugin: are the fields after capabilities "
                  "shifted by one (ABI 2 put required_features there)?");
  }
  if (!shifted_from_required_features && FIBD_DESCRIPTOR_COVERS(d, cancel) &&
      d.cancel != nullptr &&
      !(FIBD_DESCRIPTOR_COVERS(d, required_features) &&
        (d.required_features & FIBD_CACHE_FEATURE_ASYNC))) {
    out.push_back(
        "cancel is set without FEATURE_ASYNC: are del, clear and stats shifted by one "
        "(ABI 2 put cancel after set)?");
  }
  return out;
}

std::vector<std::string> shared_entry_points(const fibd_cache_descriptor& d) {
  std::vector<std::pair<const char*, const void*>> slots;
  // A slot is read only once struct_size is known to cover it.
  auto add = [&](const char* name, bool covered, auto read) {
    if (!covered) return;
    if (const void* p = read(); p != nullptr) slots.emplace_back(name, p);
  };
  add("create", FIBD_DESCRIPTOR_COVERS(d, create), [&] { return address(d.create); });
  add("destroy", FIBD_DESCRIPTOR_COVERS(d, destroy), [&] { return address(d.destroy); });
  add("get", FIBD_DESCRIPTOR_COVERS(d, get), [&] { return address(d.get); });
  add("set", FIBD_DESCRIPTOR_COVERS(d, set), [&] { return address(d.set); });
  add("cancel", FIBD_DESCRIPTOR_COVERS(d, cancel), [&] { return address(d.cancel); });
  add("del", FIBD_DESCRIPTOR_COVERS(d, del), [&] { return address(d.del); });
  add("clear", FIBD_DESCRIPTOR_COVERS(d, clear), [&] { return address(d.clear); });
  add("stats", FIBD_DESCRIPTOR_COVERS(d, stats), [&] { return address(d.stats); });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    for (std::size_t j = i + 1; j < slots.size(); ++j) {
      if (slots[i].second == slots[j].second) {
        out.push_back(std::string(slots[i].first) + " and " + slots[j].first);
      }
    }
  }
  return out;
}

std::string layout_advice(const fibd_cache_descriptor& d) {
  std::vector<std::string> hints = layout_hints(d);
  std::vector<std::string> shared = shared_entry_points(d);
  if (!shared.empty()) hints.push_back(shared.front() + " are the same function.");
  if (hints.empty()) return "";
  std::string out = "Hint: ";
  for (std::size_t i = 0; i < hints.size(); ++i) {
    if (i > 0) out += " ";
    out += hints[i];
  }
  return out + " Use designated initializers (.get = my_get).";
}

}  // namespace fibd
