// The names a configuration gives fibd's plugin loader: a plugin's file name
// in cache.plugin_dir and the factory symbol. The config and the loader both
// check them here, so neither accepts what the other refuses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fibd {

// A plugin named by its file in cache.plugin_dir: 1..255 bytes of
// A-Z a-z 0-9 _ . + -, and not "." or "..". nullopt when valid, else what
// is wrong (with what is expected).
std::optional<std::string> plugin_name_problem(std::string_view name);

// The exported factory symbol: a C identifier of at most 256 bytes.
std::optional<std::string> factory_symbol_problem(std::string_view symbol);

}  // namespace fibd
