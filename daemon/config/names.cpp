#include "config/names.h"

namespace fibd {

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::string> plugin_name_problem(std::string_view name) {
  const std::string expected = " (expected a name made of A-Z a-z 0-9 _ . + -)";
  if (name.empty()) return "empty plugin name" + expected;
  if (name.size() > 255) return "plugin name longer than 255 bytes" + expected;
  const bool valid = name != "." && name != ".." && [&] {
    for (char c : name) {
      if (!is_letter(c) && !is_digit(c) && c != '_' && c != '.' && c != '+' && c != '-') {
        return false;
      }
    }
    return true;
  }();
  if (!valid) return "'" + std::string(name) + "' is not a valid plugin name" + expected;
  return std::nullopt;
}

std::optional<std::string> factory_symbol_problem(std::string_view symbol) {
  const std::string expected = " (expected a C identifier such as fibd_cache_plugin)";
  if (symbol.empty()) return "empty symbol name" + expected;
  if (symbol.size() > 256) return "symbol name longer than 256 bytes" + expected;
  for (std::size_t i = 0; i < symbol.size(); ++i) {
    const char c = symbol[i];
    if (!is_letter(c) && c != '_' && !(i > 0 && is_digit(c))) {
      return "'" + std::string(symbol) + "' is not a valid symbol name" + expected;
    }
  }
  return std::nullopt;
}

}  // namespace fibd
