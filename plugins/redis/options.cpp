#include "options.h"

#include <sys/un.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <utility>

namespace fibd_redis {
namespace {

constexpr std::array<std::string_view, 13> kKnownOptions = {
    "address",           "username",          "password",     "db",        "key_prefix",
    "connect_timeout",   "command_timeout",   "pool_size",    "sentinels", "master_name",
    "sentinel_username", "sentinel_password", "cluster_nodes"};

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

// Where a value came from, for messages: "option 'db'" or "REDIS_DB".
struct Source {
  std::string name;
  std::string value;
};

// A comma-separated list of host:port or [v6]:port, each a `what`.
bool parse_node_list(const Source& src, const char* what, std::vector<Address>& out,
                     std::string& error) {
  std::string_view list = src.value;
  while (true) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    fibd::grammar::HostPort hp;
    std::string why;
    if (item.empty()) why = "an empty entry";
    if (why.empty() && fibd::grammar::parse_host_port(item, &hp, &why))
      out.push_back(Address{false, std::move(hp.host), hp.port, {}});
    else {
      error = src.name + ": invalid " + what + " \"" + std::string(item) + "\": " + why +
              " (a comma-separated list of host:port or [v6]:port)";
      return false;
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

bool parse_sentinel_options(const std::optional<Source>& sentinels,
                            const std::optional<Source>& master_name,
                            const std::optional<Source>& username,
                            const std::optional<Source>& password, Options& o,
                            std::string& error) {
  if (!sentinels) {
    for (const auto* other : {&master_name, &username, &password})
      if (*other) {
        error = (*other)->name + " needs option 'sentinels'";
        return false;
      }
    return true;
  }
  if (!parse_node_list(*sentinels, "sentinel", o.sentinels, error)) return false;
  if (!master_name || master_name->value.empty()) {
    error =
        "option 'sentinels' needs option 'master_name' (the name the sentinels "
        "monitor the master by)";
    return false;
  }
  o.master_name = master_name->value;
  if (username) o.sentinel_username = username->value;
  if (password) o.sentinel_password = password->value;
  if (!o.sentinel_username.empty() && o.sentinel_password.empty()) {
    error = "option 'sentinel_username' needs option 'sentinel_password'";
    return false;
  }
  return true;
}

}  // namespace

std::string Address::to_string() const {
  if (is_unix) return "unix:" + path;
  return fibd::grammar::format_host_port({host, static_cast<std::uint16_t>(port)});
}

std::optional<std::string> real_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::optional<Address> parse_address(std::string_view s, std::string& why) {
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
  fibd::grammar::HostPort tcp;
  if (!fibd::grammar::parse_host_port(s, &tcp, &why)) return std::nullopt;
  a.host = std::move(tcp.host);
  a.port = tcp.port;
  return a;
}

std::optional<Options> parse_options(const fibd_cache_config* config, EnvLookup env,
                                     std::string& error) {
  Options o;
  std::optional<Source> address, username, password, db, key_prefix, connect_timeout,
      command_timeout, pool_size, sentinels, master_name, sentinel_username,
      sentinel_password, cluster_nodes;

  size_t count = 0;
  const fibd_cache_option* opts = nullptr;
  if (config != nullptr &&
      FIBD_CACHE_HAS_FIELD(fibd_cache_config, config->struct_size, option_count) &&
      config->option_size >= sizeof(fibd_cache_option)) {
    opts = config->options;
    count = opts != nullptr ? config->option_count : 0;
  }
  for (size_t i = 0; i < count; ++i) {
    const char* k = fibd_cache_option_at(config, i)->key;
    const char* v = fibd_cache_option_at(config, i)->value;
    if (k == nullptr || v == nullptr) {
      error = "option " + std::to_string(i) + " has a NULL key or value";
      return std::nullopt;
    }
    std::string_view key(k);
    Source src{"option '" + std::string(key) + "'", v};
    std::optional<Source>* slot = nullptr;
    if (key == "address")
      slot = &address;
    else if (key == "username")
      slot = &username;
    else if (key == "password")
      slot = &password;
    else if (key == "db")
      slot = &db;
    else if (key == "key_prefix")
      slot = &key_prefix;
    else if (key == "connect_timeout")
      slot = &connect_timeout;
    else if (key == "command_timeout")
      slot = &command_timeout;
    else if (key == "pool_size")
      slot = &pool_size;
    else if (key == "sentinels")
      slot = &sentinels;
    else if (key == "master_name")
      slot = &master_name;
    else if (key == "sentinel_username")
      slot = &sentinel_username;
    else if (key == "sentinel_password")
      slot = &sentinel_password;
    else if (key == "cluster_nodes")
      slot = &cluster_nodes;
    if (slot == nullptr) {
      error = "unknown option '" + std::string(key) +
              "' (known options: " + known_list() + ")";
      return std::nullopt;
    }
    if (slot->has_value()) {
      error = "option '" + std::string(key) + "' is given twice";
      return std::nullopt;
    }
    *slot = std::move(src);
  }

  // One mode: a single node, the sentinels that name its master, or a
  // cluster's seed nodes.
  const std::pair<const std::optional<Source>*, const char*> modes[] = {
      {&address, "address"},
      {&sentinels, "sentinels"},
      {&cluster_nodes, "cluster_nodes"}};
  const char* given = nullptr;
  for (const auto& [src, name] : modes) {
    if (!*src) continue;
    if (given != nullptr) {
      error = std::string("options '") + given + "' and '" + name +
              "' are mutually exclusive: give one of 'address' (a single node), "
              "'sentinels' (the sentinels that name its master) or 'cluster_nodes' (a "
              "Redis Cluster's seed nodes)";
      return std::nullopt;
    }
    given = name;
  }
  if (cluster_nodes && db) {
    error = db->name +
            " is for a single node or a sentinel group: a Redis Cluster has only "
            "database 0 (option 'cluster_nodes')";
    return std::nullopt;
  }
  // The seed's environment variables, used only where the option is absent.
  if (env != nullptr) {
    auto fallback = [&](std::optional<Source>& slot, const char* var) {
      if (slot) return;
      if (auto v = env(var); v && !v->empty()) slot = Source{std::string(var), *v};
    };
    if (!sentinels && !cluster_nodes) fallback(address, "REDIS_ADDR");
    fallback(password, "REDIS_PASSWORD");
    if (!cluster_nodes) fallback(db, "REDIS_DB");
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
    error =
        "option 'username' needs option 'password' (Redis ACL: AUTH username password)";
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
  if (!parse_sentinel_options(sentinels, master_name, sentinel_username,
                              sentinel_password, o, error))
    return std::nullopt;
  if (cluster_nodes &&
      !parse_node_list(*cluster_nodes, "cluster node", o.cluster_nodes, error))
    return std::nullopt;

  auto duration = [&](const std::optional<Source>& src, std::chrono::microseconds& out) {
    if (!src) return true;
    std::chrono::milliseconds d{0};
    std::string why;
    if (!fibd::grammar::parse_duration(src->value, &d, &why)) {
      error = src->name + ": " + why;
      return false;
    }
    if (d < kMinTimeout || d > kMaxTimeout) {
      error = src->name + ": " + src->value + " is out of range (1ms to 1h)";
      return false;
    }
    out = std::chrono::duration_cast<std::chrono::microseconds>(d);
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
