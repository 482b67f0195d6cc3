// Config's own methods, the names of its enumerations, and the checks of
// single values that the file and the command line share.
#include <algorithm>
#include <cctype>
#include <string_view>
#include <thread>

#include "config/config.h"
#include "config/config_checks.h"
#include "config/names.h"

namespace fibd {

std::uint64_t Config::effective_max_n() const {
  return algorithm == Algorithm::Naive ? std::min(max_n, kNaiveMaxN) : max_n;
}

unsigned Config::effective_workers(unsigned usable_cpus) const {
  return workers != 0 ? workers : std::max(1u, usable_cpus);
}

// ---------------------------------------------------------------------------
// Enumerations.

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::pair<Enum, const char*> (&table)[N],
                           const std::string& text) {
  const std::string key = detail::lowercase(text);
  for (const auto& [value, name] : table) {
    if (key == name) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string name_of(const std::pair<Enum, const char*> (&table)[N], Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::string names_of(const std::pair<Enum, const char*> (&table)[N]) {
  std::string out;
  for (const auto& [v, name] : table) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

constexpr std::pair<LogLevel, const char*> kLogLevels[] = {
    {LogLevel::Trace, "trace"}, {LogLevel::Debug, "debug"},
    {LogLevel::Info, "info"},   {LogLevel::Warn, "warn"},
    {LogLevel::Error, "error"}, {LogLevel::Critical, "critical"},
    {LogLevel::Off, "off"}};
constexpr std::pair<Algorithm, const char*> kAlgorithms[] = {{Algorithm::Fast, "fast"},
                                                             {Algorithm::Naive, "naive"}};
constexpr std::pair<BusKind, const char*> kBuses[] = {
    {BusKind::System, "system"}, {BusKind::Session, "session"}, {BusKind::None, "none"}};

}  // namespace

std::string to_string(LogLevel level) { return name_of(kLogLevels, level); }
std::optional<LogLevel> parse_log_level(const std::string& text) {
  return lookup(kLogLevels, text);
}
std::string to_string(Algorithm algorithm) { return name_of(kAlgorithms, algorithm); }
std::optional<Algorithm> parse_algorithm(const std::string& text) {
  return lookup(kAlgorithms, text);
}
std::string to_string(BusKind bus) { return name_of(kBuses, bus); }
std::optional<BusKind> parse_bus(const std::string& text) { return lookup(kBuses, text); }

// ---------------------------------------------------------------------------
// Value checks.

namespace detail {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::uint64_t parse_unsigned(const std::string& text, std::uint64_t min,
                             std::uint64_t max, const std::string& expected) {
  const std::string tail = " (" + expected + ")";
  if (text.empty()) throw ConfigError("empty value" + tail);
  const bool negative = text[0] == '-' && text.size() > 1;
  const std::string_view digits = negative ? std::string_view(text).substr(1) : text;
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    throw ConfigError("'" + text + "' is not a whole number" + tail);
  }
  if (negative) throw ConfigError("'" + text + "' is negative" + tail);
  std::uint64_t value = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(value, 10u, &value) ||
        __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value)) {
      throw ConfigError("'" + text + "' is out of range" + tail);
    }
  }
  if (value < min || value > max) {
    throw ConfigError("'" + text + "' is out of range" + tail);
  }
  return value;
}

void check_plugin(const std::string& plugin) {
  const std::string tail =
      " (expected none, a plugin name in cache.plugin_dir, or an absolute path to a "
      ".so)";
  if (plugin.empty()) throw ConfigError("empty plugin" + tail);
  if (plugin.find('\0') != std::string::npos) {
    throw ConfigError("plugin contains a NUL character" + tail);
  }
  if (plugin == "none" || plugin[0] == '/') return;
  if (plugin.find('/') != std::string::npos) {
    throw ConfigError("'" + plugin + "' is a relative path" + tail);
  }
  if (auto problem = plugin_name_problem(plugin)) throw ConfigError(*problem);
}

void check_plugin_dir(const std::string& dir) {
  const std::string tail = " (expected an absolute directory path)";
  if (dir.empty()) throw ConfigError("empty directory" + tail);
  if (dir.find('\0') != std::string::npos) {
    throw ConfigError("directory contains a NUL character" + tail);
  }
  if (dir[0] != '/') throw ConfigError("'" + dir + "' is a relative path" + tail);
}

void check_factory(const std::string& symbol) {
  if (auto problem = factory_symbol_problem(symbol)) throw ConfigError(*problem);
}

LogLevel parse_log_level_or_throw(const std::string& text) {
  if (auto level = parse_log_level(text)) return *level;
  throw ConfigError("unknown log level '" + text + "' (expected one of " +
                    names_of(kLogLevels) + ")");
}

Algorithm parse_algorithm_or_throw(const std::string& text) {
  if (auto algorithm = parse_algorithm(text)) return *algorithm;
  throw ConfigError("unknown algorithm '" + text + "' (expected one of " +
                    names_of(kAlgorithms) + ")");
}

BusKind parse_bus_or_throw(const std::string& text) {
  if (auto bus = parse_bus(text)) return *bus;
  throw ConfigError("unknown bus '" + text + "' (expected one of " + names_of(kBuses) +
                    ")");
}

}  // namespace detail

}  // namespace fibd
