// The listening socket: the one systemd passed (socket activation, LISTEN_FDS)
// or a new one bound to the configured host:port.
#pragma once

#include <stdexcept>
#include <string>

#include "base/unique_fd.h"

namespace fibd {

class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListenSocket {
  UniqueFd fd;
  std::string description;  // "127.0.0.1:8080" or "socket from systemd (fd 3)"
};

// Uses a socket from systemd when one is passed, else binds `listen`.
ListenSocket open_listen_socket(const std::string& listen);

}  // namespace fibd
