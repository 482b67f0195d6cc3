// Strict parsing of the memory plugin's numeric options.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fibd_memory {

// "67108864", "512KiB", "64MiB", "1GiB": decimal digits, optionally followed
// by exactly one of the binary suffixes KiB, MiB, GiB. Nothing else: no sign,
// no spaces, no decimal point, no overflow. nullopt when invalid.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Plain decimal digits, no sign, no overflow. nullopt when invalid.
std::optional<std::uint64_t> parse_count(std::string_view text);

}  // namespace fibd_memory
