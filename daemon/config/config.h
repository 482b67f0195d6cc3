// The daemon's configuration: /etc/fibd.yaml merged with the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <fibd/grammar.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/logging.h"

namespace fibd {

enum class Algorithm { Fast, Naive };
enum class BusKind { System, Session, None };

// The naive recursion overflows uint64 past F(92); its max_n is capped there.
inline constexpr std::uint64_t kNaiveMaxN = 92;

struct CacheSettings {
  std::string plugin = "none";  // none | name in plugin_dir | absolute .so path
  std::string plugin_dir = FIBD_DEFAULT_PLUGIN_DIR;
  std::string factory = "fibd_cache_plugin";
  bool trust_check = true;
  std::chrono::milliseconds expiration{15000};
  std::vector<std::pair<std::string, std::string>> options;  // file order
  // cache.near.max_bytes: an in-process tier in front of the plugin; 0 = off.
  std::uint64_t near_max_bytes = 0;
};

// The `http:` section: limits and timeouts of the HTTP layer.
struct HttpSettings {
  std::size_t max_connections = 10000;
  std::chrono::milliseconds head_timeout{
      15000};  // a whole request head must arrive within
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive wait for the next request
  std::size_t max_request_line = 8 * 1024;        // longer: 414
  std::size_t max_header_bytes = 32 * 1024;       // request line and fields; longer: 431
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  LogLevel log_level = LogLevel::Info;
  unsigned workers = 0;  // 0 = number of CPUs
  Algorithm algorithm = Algorithm::Fast;
  std::uint64_t max_n = 1000000;
  unsigned max_inflight = 64;
  std::chrono::milliseconds compute_timeout{30000};
  CacheSettings cache;
  HttpSettings http;
  BusKind bus = BusKind::None;
  std::string source;  // the file it was read from; empty for built-in defaults

  // max_n as it applies to the configured algorithm (naive is capped at 92).
  std::uint64_t effective_max_n() const;
  // workers, with 0 resolved to `usable_cpus`: the CPUs fibd may use
  // (affinity, cgroup quota), measured once by the caller (base/cpu_budget.h).
  unsigned effective_workers(unsigned usable_cpus) const;
};

// Thrown for any invalid configuration or command line. what() is the whole
// user-facing message, e.g. "/etc/fibd.yaml:7: fib.max_n: expected ...".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses YAML text; `source` names it in messages. Strict: unknown keys, wrong
// types and bad values throw ConfigError naming source:line and the key path.
Config parse_config(const std::string& yaml_text, const std::string& source);
// Reads and parses a file (missing/unreadable file -> ConfigError).
Config load_config_file(const std::string& path);

// Go-style durations: "500ms", "15s", "1m30s", "2h", "1h2m3s4ms". A bare "0"
// is zero. Throws ConfigError (message without location) on anything else.
std::chrono::milliseconds parse_duration(const std::string& text);
std::string format_duration(std::chrono::milliseconds d);  // e.g. "1m30s"

// Names as written in the config file; parsing is case-insensitive.
std::string to_string(LogLevel level);
std::optional<LogLevel> parse_log_level(const std::string& text);
std::string to_string(Algorithm algorithm);
std::optional<Algorithm> parse_algorithm(const std::string& text);
std::string to_string(BusKind bus);
std::optional<BusKind> parse_bus(const std::string& text);

// A listen address: host (an IPv4 or IPv6 literal, or a host name; IPv6
// without its brackets) and port.
using ListenAddress = grammar::HostPort;
// Parses "host:port" or "[ipv6]:port", port 1..65535. Throws ConfigError
// (message without location) on anything else.
ListenAddress parse_listen(const std::string& text);
// The inverse: "host:port", with brackets around an IPv6 host.
std::string format_listen(const ListenAddress& address);

// Sizes in bytes: "65536", "512KiB", "8MiB", "1GiB". Throws ConfigError.
std::uint64_t parse_size(const std::string& text);

// The command line (getopt_long_only: --flag, -flag, --flag=v, -flag=v).
struct CommandLine {
  std::optional<std::string> config_path;  // --config
  std::optional<std::string> listen;       // --listen host:port
  std::optional<std::uint16_t> port;       // --port N: keeps the host of listen
  std::optional<LogLevel> log_level;
  std::optional<std::string> cache_plugin_path;  // -> cache.plugin
  std::optional<std::string> cache_factory;      // -> cache.factory
  std::optional<std::chrono::milliseconds> cache_expiration;
  std::optional<BusKind> bus;
  bool check_config = false;
  bool version = false;
  bool help = false;
};

// Throws ConfigError with a usage hint on unknown flags or bad values.
// Relative --config paths, and --cache-plugin-path values containing a '/',
// are made absolute against the current directory. Uses getopt's global
// state (and may permute argv): call it from one thread at a time.
CommandLine parse_command_line(int argc, char** argv);
std::string usage_text(const char* argv0);

// The effective configuration: the file named by --config, else
// /etc/fibd.yaml if it exists, else built-in defaults; then flags override.
// A reload calls it again with the same command line.
Config resolve_config(const CommandLine& cl,
                      const std::string& default_path = "/etc/fibd.yaml");

}  // namespace fibd
