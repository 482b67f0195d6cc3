// Go-style durations: a sequence of <number><unit> with units ms, s, m, h.
#include <cstdint>
#include <string>

#include "config/config.h"

namespace fibd {
namespace {

constexpr const char* kExpected = "expected e.g. 500ms, 15s, 1m30s or 2h";

[[noreturn]] void fail(const std::string& what) {
  throw ConfigError(what + " (" + kExpected + ")");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_unit_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Milliseconds per unit, or 0 for an unknown unit.
std::int64_t unit_ms(const std::string& unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return 0;
}

}  // namespace

std::chrono::milliseconds parse_duration(const std::string& text) {
  const std::string quoted = "'" + text + "'";
  if (text.empty()) fail("empty duration");
  if (text == "0") return std::chrono::milliseconds{0};
  if (text[0] == '-') fail("negative duration " + quoted);

  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // The number: digits, optionally a fraction (".5s" and "1.5s" as in Go).
    std::int64_t whole = 0;
    std::string fraction;
    bool any_digit = false;
    while (i < text.size() && is_digit(text[i])) {
      any_digit = true;
      if (__builtin_mul_overflow(whole, 10, &whole) ||
          __builtin_add_overflow(whole, text[i] - '0', &whole)) {
        fail("duration " + quoted + " is too large");
      }
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && is_digit(text[i])) {
        any_digit = true;
        fraction += text[i++];
      }
    }
    if (!any_digit) {
      std::string letters;
      while (i < text.size() && is_unit_char(text[i])) letters += text[i++];
      if (unit_ms(letters) != 0) fail("missing number before the unit in " + quoted);
      fail("invalid duration " + quoted);
    }

    std::string unit;
    while (i < text.size() && is_unit_char(text[i])) unit += text[i++];
    if (unit.empty()) {
      if (i == text.size()) fail("missing unit in " + quoted);
      fail("invalid character '" + std::string(1, text[i]) + "' in duration " + quoted);
    }
    const std::int64_t per_unit = unit_ms(unit);
    if (per_unit == 0) {
      throw ConfigError("unknown unit '" + unit + "' in duration " + quoted +
                        " (expected ms, s, m or h, e.g. 1m30s)");
    }

    std::int64_t ms = 0;
    if (__builtin_mul_overflow(whole, per_unit, &ms)) {
      fail("duration " + quoted + " is too large");
    }
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) {
      // per_unit <= 3.6e6 = 36 * 10^5, so a fraction (without trailing zeros)
      // of more than 7 digits can never be a whole number of milliseconds.
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
      if (!whole_ms) fail("duration " + quoted + " is finer than a millisecond");
      if (__builtin_add_overflow(ms, digits * per_unit / scale, &ms)) {
        fail("duration " + quoted + " is too large");
      }
    }
    if (__builtin_add_overflow(total, ms, &total)) {
      fail("duration " + quoted + " is too large");
    }
  }
  return std::chrono::milliseconds{total};
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  // Negate in unsigned arithmetic so that INT64_MIN does not overflow.
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

}  // namespace fibd
