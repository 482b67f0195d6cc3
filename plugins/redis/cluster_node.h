// Where a Redis Cluster node listens, as the cluster itself names it (in
// CLUSTER SHARDS / CLUSTER SLOTS replies and in MOVED / ASK redirections).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fibd_redis {

struct ClusterNode {
  std::string host;  // an IP address (IPv6 without brackets) or a host name
  uint16_t port = 0;

  bool operator==(const ClusterNode&) const = default;

  // "host:port", or "[v6]:port".
  std::string to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

// A host as a cluster may name one: not empty, printable ASCII, no spaces or
// brackets (an IPv6 address comes without them).
inline bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (const char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '[' || c == ']') return false;
  }
  return true;
}

}  // namespace fibd_redis
