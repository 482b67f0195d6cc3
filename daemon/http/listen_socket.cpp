#include "http/listen_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "config/config.h"

namespace fibd {

ListenSocket open_listen_socket(const std::string& listen) {
  const int passed = sd_listen_fds(1);
  if (passed > 0) {
    const int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
      throw ListenError(
          "the socket passed by systemd (fd 3) is not a listening stream socket");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return {UniqueFd(fd), "socket from systemd (fd 3)"};
  }

  ListenAddress address;
  try {
    address = parse_listen(listen);
  } catch (const ConfigError& e) {
    throw ListenError(std::string("listen address: ") + e.what());
  }
  const std::string port = std::to_string(address.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw ListenError("cannot resolve listen address \"" + listen +
                      "\": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::string last_error = "no usable address";
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         ai->ai_protocol));
    if (!fd) {
      last_error = std::strerror(errno);
      continue;
    }
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ai->ai_family == AF_INET6)
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd.get(), 1024) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    return {std::move(fd), listen};
  }
  throw ListenError("cannot listen on " + listen + ": " + last_error);
}

}  // namespace fibd
