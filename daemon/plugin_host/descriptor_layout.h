// Signs that a descriptor was filled in for another field layout than the
// header's: positional initializers written in ABI 1's order (ABI 2 put
// required_features after capabilities and cancel after set), a struct_size
// of an older header, or one function in two slots. The loader adds them to
// its refusal; fibd-plugin-check reports them.
#pragma once

#include <fibd/cache_plugin.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fibd {

// sizeof(fibd_cache_descriptor) in ABI 1 (no required_features, no cancel).
inline constexpr std::uint32_t kAbi1DescriptorSize = 96;

// Sentence fragments, one per sign, reading only the fields struct_size
// covers; empty when the layout looks right. Call it only for a descriptor
// of this host's ABI version.
std::vector<std::string> layout_hints(const fibd_cache_descriptor& d);

// "get and set", one fragment per pair of non-NULL entry points with the
// same address.
std::vector<std::string> shared_entry_points(const fibd_cache_descriptor& d);

// The hints as one sentence to append to a refusal ("" when none).
std::string layout_advice(const fibd_cache_descriptor& d);

}  // namespace fibd
