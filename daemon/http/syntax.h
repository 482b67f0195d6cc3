// Character classes of RFC 9110/9112 and RFC 3986, as constexpr tables.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace fibd::http::syntax {

namespace detail {

constexpr bool is_alpha(unsigned c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_digit(unsigned c) { return c >= '0' && c <= '9'; }

constexpr std::array<bool, 256> table(bool (*pred)(unsigned)) {
  std::array<bool, 256> t{};
  for (unsigned c = 0; c < 256; ++c) t[c] = pred(c);
  return t;
}

// tchar (RFC 9110 5.6.2).
constexpr bool tchar(unsigned c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
}
constexpr bool unreserved(unsigned c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool sub_delim(unsigned c) {
  return std::string_view("!$&'()*+,;=").find(char(c)) != std::string_view::npos;
}
// What may appear in a request-target besides pct-encoded triplets:
// pchar, "/" and "?" (RFC 3986 3.3, 3.4).
constexpr bool target_char(unsigned c) {
  return unreserved(c) || sub_delim(c) || c == ':' || c == '@' || c == '/' || c == '?';
}
// reg-name and IPv4address (the '%' of pct-encoded is checked separately).
constexpr bool host_char(unsigned c) { return unreserved(c) || sub_delim(c); }
// field-vchar / SP / HTAB (RFC 9110 5.5), obs-text included.
constexpr bool field_value_char(unsigned c) {
  return (c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t';
}

inline constexpr auto kToken = table(tchar);
inline constexpr auto kTarget = table(target_char);
inline constexpr auto kHost = table(host_char);
inline constexpr auto kFieldValue = table(field_value_char);

}  // namespace detail

inline bool is_tchar(char c) { return detail::kToken[static_cast<unsigned char>(c)]; }
inline bool is_target_char(char c) {
  return detail::kTarget[static_cast<unsigned char>(c)];
}
inline bool is_host_char(char c) { return detail::kHost[static_cast<unsigned char>(c)]; }
inline bool is_field_value_char(char c) {
  return detail::kFieldValue[static_cast<unsigned char>(c)];
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) {
  return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// ASCII case-insensitive equality (field names, tokens, schemes).
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c | 0x20) : c; }
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Trims optional whitespace (SP, HTAB) from both ends.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace fibd::http::syntax
