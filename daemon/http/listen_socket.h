// The listening socket: one systemd passed (LISTEN_FDS: a socket unit's, or
// the one fibd bound earlier and kept in the service's fd store), or a new
// one bound to the configured host:port.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "base/unique_fd.h"

namespace fibd {

class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The FDNAME= under which fibd keeps the socket it bound in systemd's fd store.
inline constexpr const char* kStoredSocketName = "listen";

struct ListenSocket {
  UniqueFd fd;
  // "127.0.0.1:8080", "127.0.0.1:8080 (kept across the restart)" or
  // "socket from systemd (fd 3)".
  std::string description;
  // Bound by this process: to be kept in the fd store so that the next fibd
  // (after a restart, an upgrade or a crash) listens on this very socket.
  bool bound_here = false;
};

// A socket unit's socket wins; else the stored socket when it is still bound
// to `listen`; else a new socket bound to `listen`. A stored socket that no
// longer matches `listen` is closed and `forget_stored` is called (to drop
// systemd's copy) before the new one is bound.
ListenSocket open_listen_socket(const std::string& listen,
                                const std::function<void()>& forget_stored = {});

}  // namespace fibd
