// Options of the redis cache plugin: parsed from cache.options, with the
// seed's environment variables (REDIS_ADDR, REDIS_PASSWORD, REDIS_DB) as
// fallback, and validated once in create().
#pragma once

#include <fibd/cache_plugin.h>

#include <chrono>
#include <cstdint>
#include <fibd/grammar.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fibd_redis {

// Where Redis listens: TCP host and port, or a unix socket path.
struct Address {
  bool is_unix = false;
  std::string host;  // TCP: a name or an IP address (IPv6 without brackets)
  int port = 6379;   // TCP only
  std::string path;  // unix only

  std::string to_string() const;  // as the user would write it
};

struct Options {
  Address address{false, "127.0.0.1", 6379, {}};
  std::string username;  // empty: "AUTH password" (the default user)
  std::string password;  // empty: no AUTH at all
  int db = 0;
  std::string key_prefix = "fibd:";
  std::chrono::microseconds connect_timeout{500'000};
  std::chrono::microseconds command_timeout{250'000};
  int pool_size = 8;  // accepted for older configurations; unused
  // Sentinel mode (`sentinels` not empty): the master named `master_name`
  // is found through them, and `address` is not used.
  std::vector<Address> sentinels;
  std::string master_name;
  std::string sentinel_username, sentinel_password;
  // Cluster mode (`cluster_nodes` not empty): the seeds the slot map is
  // first learnt from; `address` and `db` are not used.
  std::vector<Address> cluster_nodes;
};

// Looks an environment variable up; a seam so tests need not touch environ.
using EnvLookup = std::optional<std::string> (*)(const char* name);
std::optional<std::string> real_env(const char* name);

// Parses `config` (may be NULL: no options). On failure returns nullopt and
// writes a message naming the offending option (or environment variable).
std::optional<Options> parse_options(const fibd_cache_config* config, EnvLookup env,
                                     std::string& error);

// "unix:/absolute/path", or host:port in fibd's grammar ("host:port",
// "[v6addr]:port"). nullopt + why.
std::optional<Address> parse_address(std::string_view text, std::string& why);

// Human form of a duration for messages, in the grammar of the options
// ("250ms", "1s500ms").
inline std::string format_duration(std::chrono::microseconds d) {
  return fibd::grammar::format_duration(
      std::chrono::duration_cast<std::chrono::milliseconds>(d));
}

}  // namespace fibd_redis
