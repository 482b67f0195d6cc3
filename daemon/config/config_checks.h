// Value checks shared by the config file parser and the command line. Each
// throws ConfigError with "what is wrong (what is expected)" and no location;
// callers prefix "FILE:LINE: key: " or "--flag: ".
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"

namespace fibd::detail {

// ASCII lower case (names in the config are case-insensitive).
std::string lowercase(std::string s);

inline constexpr std::uint64_t kMaxMaxN = 100000000;
inline constexpr unsigned kMaxWorkers = 1024;
inline constexpr unsigned kMaxInflight = 1000000;
inline constexpr std::uint64_t kMaxConnections = 10000000;
// http.max_request_line and http.max_header_bytes: at least a short request
// line, at most what a connection may buffer for one head.
inline constexpr std::uint64_t kMinRequestLine = 64;
inline constexpr std::uint64_t kMaxHead = 1024 * 1024;

// Plain decimal digits within [min, max]; `expected` completes messages.
std::uint64_t parse_unsigned(const std::string& text, std::uint64_t min,
                             std::uint64_t max, const std::string& expected);
// "none", a bare plugin name ([A-Za-z0-9_.-]+) or an absolute path.
void check_plugin(const std::string& plugin);
// A non-empty absolute directory.
void check_plugin_dir(const std::string& dir);
// A C identifier (the exported factory symbol).
void check_factory(const std::string& symbol);
LogLevel parse_log_level_or_throw(const std::string& text);
Algorithm parse_algorithm_or_throw(const std::string& text);
BusKind parse_bus_or_throw(const std::string& text);

}  // namespace fibd::detail
