#include "options.h"

#include <sys/un.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace fibd_redis {
namespace {

constexpr std::array<std::string_view, 8> kKnownOptions = {
    "address", "username", "password", "db",
    "key_prefix", "connect_timeout", "command_timeout", "pool_size"};

constexpr auto kMinTimeout = std::chrono::milliseconds(1);
constexpr auto kMaxTimeout = std::chrono::hours(1);
constexpr int kMaxPoolSize = 1024;

std::string known_list() {
  std::string out;
  for (auto k : kKnownOptions) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Plain decimal digits into [lo, hi].
std::optional<long long> parse_int(std::string_view s, long long lo, long long hi) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

bool has_control_or_space(std::string_view s) {
  for (unsigned char c : s)
    if (c <= ' ' || c == 0x7f) return true;
  return false;
}

// Where a value came from, for messages: "option 'db'" or "REDIS_DB".
struct Source {
  std::string name;
  std::string value;
};

}  // namespace

std::string Address::to_string() const {
  if (is_unix) return "unix:" + path;
  // Brackets where the bare form would read differently: an IPv6 address, or
  // a host named "unix" ("unix:80" is a unix socket path).
  if (host.find(':') != std::string::npos || host == "unix")
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<std::string> real_env(const char *name) {
  const char *v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) {
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  long double total_ns = 0;
  size_t i = 0;
  while (i < s.size()) {
    // number: digits, optionally '.' digits (at least one digit overall)
    long double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) return std::nullopt;
    // unit: the longest match among the known ones
    size_t start = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.') ++i;
    std::string_view unit = s.substr(start, i - start);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3L;
    else if (unit == "ms") mult = 1e6L;
    else if (unit == "s") mult = 1e9L;
    else if (unit == "m") mult = 60e9L;
    else if (unit == "h") mult = 3600e9L;
    else return std::nullopt;  // missing or unknown unit
    total_ns += value * mult;
    if (total_ns > 9e18L) return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
}

std::string format_duration(std::chrono::microseconds d) {
  auto us = d.count();
  char buf[64];
  if (us >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / 1e6);
  } else if (us >= 1'000) {
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(us) / 1e3);
  } else {
    return std::to_string(us) + "us";
  }
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s + (us >= 1'000'000 ? "s" : "ms");
}

std::optional<Address> parse_address(std::string_view s, std::string &why) {
  Address a;
  if (s.substr(0, 5) == "unix:") {
    a.is_unix = true;
    a.path = std::string(s.substr(5));
    if (a.path.empty() || a.path[0] != '/') {
      why = "a unix socket address is unix:/absolute/path";
      return std::nullopt;
    }
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      why = "the unix socket path is longer than " +
            std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes";
      return std::nullopt;
    }
    if (a.path.find('\0') != std::string::npos) {
      why = "the unix socket path contains a NUL byte";
      return std::nullopt;
    }
    return a;
  }
  std::string_view host, port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find("]:");
    if (close == std::string_view::npos) {
      why = "expected [ipv6-address]:port";
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      why = "expected host:port, [ipv6-address]:port or unix:/path";
      return std::nullopt;
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      why = "an IPv6 address needs brackets: [address]:port";
      return std::nullopt;
    }
  }
  if (host.empty() || has_control_or_space(host) ||
      host.find_first_of("[]/") != std::string_view::npos) {
    why = "missing or invalid host";
    return std::nullopt;
  }
  auto p = parse_int(port, 1, 65535);
  if (!p) {
    why = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  a.host = std::string(host);
  a.port = static_cast<int>(*p);
  return a;
}

std::optional<Options> parse_options(const fibd_cache_config *config,
                                     EnvLookup env, std::string &error) {
  Options o;
  std::optional<Source> address, username, password, db, key_prefix,
      connect_timeout, command_timeout, pool_size;

  size_t count = 0;
  const fibd_cache_option *opts = nullptr;
  if (config != nullptr &&
      config->struct_size >= offsetof(fibd_cache_config, option_count) +
                                 sizeof(config->option_count)) {
    opts = config->options;
    count = opts != nullptr ? config->option_count : 0;
  }
  for (size_t i = 0; i < count; ++i) {
    const char *k = opts[i].key;
    const char *v = opts[i].value;
    if (k == nullptr || v == nullptr) {
      error = "option " + std::to_string(i) + " has a NULL key or value";
      return std::nullopt;
    }
    std::string_view key(k);
    Source src{"option '" + std::string(key) + "'", v};
    std::optional<Source> *slot = nullptr;
    if (key == "address") slot = &address;
    else if (key == "username") slot = &username;
    else if (key == "password") slot = &password;
    else if (key == "db") slot = &db;
    else if (key == "key_prefix") slot = &key_prefix;
    else if (key == "connect_timeout") slot = &connect_timeout;
    else if (key == "command_timeout") slot = &command_timeout;
    else if (key == "pool_size") slot = &pool_size;
    if (slot == nullptr) {
      error = "unknown option '" + std::string(key) + "' (known options: " +
              known_list() + ")";
      return std::nullopt;
    }
    if (slot->has_value()) {
      error = "option '" + std::string(key) + "' is given twice";
      return std::nullopt;
    }
    *slot = std::move(src);
  }

  // The seed's environment variables, used only where the option is absent.
  if (env != nullptr) {
    auto fallback = [&](std::optional<Source> &slot, const char *var) {
      if (slot) return;
      if (auto v = env(var); v && !v->empty()) slot = Source{std::string(var), *v};
    };
    fallback(address, "REDIS_ADDR");
    fallback(password, "REDIS_PASSWORD");
    fallback(db, "REDIS_DB");
  }

  if (address) {
    std::string why;
    auto a = parse_address(address->value, why);
    if (!a) {
      error = address->name + ": invalid address \"" + address->value + "\": " + why;
      return std::nullopt;
    }
    o.address = std::move(*a);
  }
  if (username) o.username = username->value;
  if (password) o.password = password->value;
  if (!o.username.empty() && o.password.empty()) {
    error = "option 'username' needs option 'password' (Redis ACL: AUTH username password)";
    return std::nullopt;
  }
  if (db) {
    auto v = parse_int(db->value, 0, std::numeric_limits<int>::max());
    if (!v) {
      error = db->name + ": invalid database number \"" + db->value +
              "\" (expected a number >= 0)";
      return std::nullopt;
    }
    o.db = static_cast<int>(*v);
  }
  if (key_prefix) o.key_prefix = key_prefix->value;

  auto duration = [&](const std::optional<Source> &src,
                      std::chrono::microseconds &out) {
    if (!src) return true;
    auto d = parse_duration(src->value);
    if (!d) {
      error = src->name + ": invalid duration \"" + src->value +
              "\" (examples: 250ms, 1s, 1m30s)";
      return false;
    }
    if (*d < kMinTimeout || *d > kMaxTimeout) {
      error = src->name + ": " + src->value + " is out of range (1ms to 1h)";
      return false;
    }
    out = std::chrono::duration_cast<std::chrono::microseconds>(*d);
    return true;
  };
  if (!duration(connect_timeout, o.connect_timeout)) return std::nullopt;
  if (!duration(command_timeout, o.command_timeout)) return std::nullopt;

  if (pool_size) {
    auto v = parse_int(pool_size->value, 1, kMaxPoolSize);
    if (!v) {
      error = pool_size->name + ": invalid pool size \"" + pool_size->value +
              "\" (expected a number from 1 to " + std::to_string(kMaxPoolSize) + ")";
      return std::nullopt;
    }
    o.pool_size = static_cast<int>(*v);
  }
  return o;
}

}  // namespace fibd_redis
