#include "base/escape.h"

#include <cstring>

namespace fibd {

std::string escape_untrusted(std::string_view text, std::size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool cut = text.size() > max;
  if (cut) text = text.substr(0, max);
  std::string out;
  out.reserve(text.size() + 3);
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (cut) out += "...";
  return out;
}

std::string escape_untrusted(const char* text, std::size_t max) {
  if (text == nullptr) return "(null)";
  return escape_untrusted(std::string_view(text, strnlen(text, max + 1)), max);
}

}  // namespace fibd
