/* fibd's grammars for option values, shared by the daemon and its plugins so
 * that "1m30s", "64MiB" or "[::1]:6379" mean the same in /etc/fibd.yaml and in
 * cache.options. Header-only C++17, installed by fibd-dev.
 *
 * Every parser returns false and fills `why` (what is wrong and what was
 * expected, without naming the option) on bad input; it never throws except
 * std::bad_alloc. */
#ifndef FIBD_GRAMMAR_HPP
#define FIBD_GRAMMAR_HPP

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace fibd::grammar {

namespace detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

inline std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

/* Plain decimal digits into *out; false on anything else or on overflow. */
inline bool decimal(std::string_view text, std::uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    if (__builtin_mul_overflow(value, 10u, &value) ||
        __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value)) {
      return false;
    }
  }
  *out = value;
  return true;
}

inline std::int64_t unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return 0;
}

inline bool is_ipv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

inline bool is_ipv6(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

/* RFC 1123 host names: dot-separated labels of letters, digits and inner '-'. */
inline bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  while (true) {
    const std::size_t dot = host.find('.');
    const std::string_view label = host.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_digit(c) && !is_letter(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

}  // namespace detail

/* Durations: "0", or a sequence of <number><unit> with units ms, s, m, h, as
 * in Go: "500ms", "15s", "1m30s", "1.5s", "2h". Whole milliseconds only. */
inline bool parse_duration(std::string_view text, std::chrono::milliseconds* out,
                           std::string* why) {
  using detail::is_digit;
  const std::string expected = " (expected e.g. 500ms, 15s, 1m30s or 2h)";
  const std::string q = detail::quoted(text);
  auto fail = [&](const std::string& what) {
    *why = what;
    return false;
  };
  if (text.empty()) return fail("empty duration" + expected);
  if (text == "0") {
    *out = std::chrono::milliseconds{0};
    return true;
  }
  if (text[0] == '-') return fail("negative duration " + q + expected);
  const std::string too_large = "duration " + q + " is too large" + expected;

  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t whole = 0;
    std::string_view fraction;
    bool any_digit = false;
    while (i < text.size() && is_digit(text[i])) {
      any_digit = true;
      if (__builtin_mul_overflow(whole, 10, &whole) ||
          __builtin_add_overflow(whole, text[i] - '0', &whole)) {
        return fail(too_large);
      }
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      const std::size_t start = ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
      fraction = text.substr(start, i - start);
      any_digit = any_digit || !fraction.empty();
    }
    const std::size_t unit_start = i;
    while (i < text.size() && detail::is_letter(text[i])) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (!any_digit) {
      if (detail::unit_ms(unit) != 0)
        return fail("missing number before the unit in " + q + expected);
      return fail("invalid duration " + q + expected);
    }
    if (unit.empty()) {
      if (i == text.size()) return fail("missing unit in " + q + expected);
      return fail("invalid character '" + std::string(1, text[i]) + "' in duration " + q +
                  expected);
    }
    const std::int64_t per_unit = detail::unit_ms(unit);
    if (per_unit == 0) {
      return fail("unknown unit '" + std::string(unit) + "' in duration " + q +
                  " (expected ms, s, m or h, e.g. 1m30s)");
    }
    std::int64_t ms = 0;
    if (__builtin_mul_overflow(whole, per_unit, &ms)) return fail(too_large);
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
    if (!fraction.empty()) {
      /* per_unit <= 3.6e6 = 36 * 10^5: a fraction (without trailing zeros) of
       * more than 7 digits is never a whole number of milliseconds. */
      std::int64_t scale = 1;
      std::int64_t digits = 0;
      bool whole_ms = fraction.size() <= 7;
      if (whole_ms) {
        for (char c : fraction) {
          digits = digits * 10 + (c - '0');
          scale *= 10;
        }
        whole_ms = (digits * per_unit) % scale == 0;
      }
      if (!whole_ms)
        return fail("duration " + q + " is finer than a millisecond" + expected);
      if (__builtin_add_overflow(ms, digits * per_unit / scale, &ms))
        return fail(too_large);
    }
    if (__builtin_add_overflow(total, ms, &total)) return fail(too_large);
  }
  *out = std::chrono::milliseconds{total};
  return true;
}

/* The inverse, shortest form: "1m30s", "250ms", "0s". */
inline std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  /* Negate in unsigned arithmetic so that INT64_MIN does not overflow. */
  const std::uint64_t magnitude =
      ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  const std::uint64_t parts[] = {magnitude / 3600000, magnitude / 60000 % 60,
                                 magnitude / 1000 % 60, magnitude % 1000};
  const char* const units[] = {"h", "m", "s", "ms"};
  std::string out = ms < 0 ? "-" : "";
  for (int k = 0; k < 4; ++k) {
    if (parts[k] != 0) out += std::to_string(parts[k]) + units[k];
  }
  return out;
}

/* Counts: plain decimal digits, no sign, space or overflow: "0", "16". */
inline bool parse_count(std::string_view text, std::uint64_t* out, std::string* why) {
  if (!detail::decimal(text, out)) {
    *why = "'" + std::string(text) +
           "' is not a whole number (expected plain digits, e.g. 16)";
    return false;
  }
  return true;
}

/* Sizes in bytes: plain digits, optionally one binary suffix KiB, MiB or GiB:
 * "67108864", "512KiB", "8MiB", "1GiB". No sign, space, fraction or overflow. */
inline bool parse_size(std::string_view text, std::uint64_t* out, std::string* why) {
  std::size_t digits = 0;
  while (digits < text.size() && detail::is_digit(text[digits])) ++digits;
  const std::string_view suffix = text.substr(digits);
  unsigned shift = 0;
  if (suffix == "KiB") {
    shift = 10;
  } else if (suffix == "MiB") {
    shift = 20;
  } else if (suffix == "GiB") {
    shift = 30;
  } else if (!suffix.empty()) {
    *why = "invalid size " + detail::quoted(text) +
           " (expected bytes, e.g. 65536, 512KiB or 8MiB)";
    return false;
  }
  std::uint64_t value = 0;
  if (!detail::decimal(text.substr(0, digits), &value) || value > (UINT64_MAX >> shift)) {
    *why = "invalid size " + detail::quoted(text) +
           " (expected bytes, e.g. 65536, 512KiB or 8MiB)";
    return false;
  }
  *out = value << shift;
  return true;
}

/* A TCP endpoint: host (IPv4 literal, RFC 1123 name, or IPv6 literal, kept
 * without its brackets) and port 1..65535. */
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

/* "host:port" or "[ipv6]:port". */
inline bool parse_host_port(std::string_view text, HostPort* out, std::string* why) {
  const std::string tail =
      " (expected host:port, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080)";
  const std::string q = detail::quoted(text);
  auto fail = [&](const std::string& what) {
    *why = what;
    return false;
  };
  if (text.empty()) return fail("empty address" + tail);
  /* inet_pton() reads a C string: "[::1<NUL>junk]:80" would pass as ::1. */
  if (text.find('\0') != std::string_view::npos) {
    return fail("the address contains a NUL character" + tail);
  }
  HostPort address;
  std::string_view port;
  if (text[0] == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(q + " lacks a closing ']'" + tail);
    address.host = std::string(text.substr(1, close - 1));
    if (!detail::is_ipv6(address.host)) {
      return fail("'" + address.host + "' in " + q + " is not an IPv6 address" + tail);
    }
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return fail(q + " has no port" + tail);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(q + " has no port" + tail);
    address.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (address.host.find(':') != std::string::npos) {
      return fail("the IPv6 address in " + q +
                  " needs brackets (expected e.g. [::1]:8080)");
    }
    if (address.host.empty()) return fail(q + " has no host" + tail);
    bool numeric = true;
    for (char c : address.host) numeric = numeric && (detail::is_digit(c) || c == '.');
    if (numeric ? !detail::is_ipv4(address.host) : !detail::is_hostname(address.host)) {
      return fail("'" + address.host + "' in " + q +
                  " is not a valid IPv4 address or host name" + tail);
    }
  }
  if (port.empty()) return fail(q + " has no port" + tail);
  std::uint64_t number = 0;
  const std::string bad_port = "port of " + q + ": '" + std::string(port) + "' ";
  const std::string port_range = " (expected a port 1..65535)";
  if (port[0] == '-') return fail(bad_port + "is negative" + port_range);
  bool digits = true;
  for (char c : port) digits = digits && detail::is_digit(c);
  if (!digits) return fail(bad_port + "is not a whole number" + port_range);
  if (!detail::decimal(port, &number) || number < 1 || number > 65535) {
    return fail(bad_port + "is out of range" + port_range);
  }
  address.port = static_cast<std::uint16_t>(number);
  *out = std::move(address);
  return true;
}

/* The inverse: brackets around an IPv6 host. */
inline std::string format_host_port(const HostPort& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" +
         std::to_string(address.port);
}

}  // namespace fibd::grammar

#endif /* FIBD_GRAMMAR_HPP */
