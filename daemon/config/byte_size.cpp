// Byte sizes in the configuration: digits and an optional binary unit.
#include <cstdint>
#include <string>

#include "config/config.h"

namespace fibd {

std::uint64_t parse_byte_size(const std::string& text) {
  constexpr const char* kExpected =
      " (expected digits and an optional unit B, KiB, MiB or GiB)";
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) throw ConfigError("'" + text + "' is not a size" + kExpected);
  const std::string unit = text.substr(digits);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KiB") scale = std::uint64_t{1} << 10;
  if (unit == "MiB") scale = std::uint64_t{1} << 20;
  if (unit == "GiB") scale = std::uint64_t{1} << 30;
  if (scale == 0) throw ConfigError("'" + text + "' has an unknown unit" + kExpected);
  if (digits > 12) throw ConfigError("'" + text + "' is too large");
  return std::stoull(text.substr(0, digits)) * scale;
}

}  // namespace fibd
