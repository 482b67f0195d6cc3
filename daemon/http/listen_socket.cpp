#include "http/listen_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "config/config.h"

namespace fibd {

namespace {

using AddrList = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

AddrList resolve(const std::string& listen) {
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
  return {found, &freeaddrinfo};
}

// Whether `fd` is bound to one of `addresses` (port 0 there: any port).
bool bound_to(int fd, const addrinfo* addresses) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return false;
  for (const addrinfo* ai = addresses; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != local.ss_family) continue;
    if (ai->ai_family == AF_INET) {
      const auto* want = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      const auto* have = reinterpret_cast<const sockaddr_in*>(&local);
      if (want->sin_addr.s_addr == have->sin_addr.s_addr &&
          (want->sin_port == 0 || want->sin_port == have->sin_port))
        return true;
    } else if (ai->ai_family == AF_INET6) {
      const auto* want = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      const auto* have = reinterpret_cast<const sockaddr_in6*>(&local);
      if (std::memcmp(&want->sin6_addr, &have->sin6_addr, sizeof want->sin6_addr) == 0 &&
          (want->sin6_port == 0 || want->sin6_port == have->sin6_port))
        return true;
    }
  }
  return false;
}

bool listening_stream(int fd) { return sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0; }

void prepare(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// What systemd passed, by name (LISTEN_FDNAMES; "unknown" without names).
struct Passed {
  UniqueFd fd;
  std::string name;
};

std::vector<Passed> take_passed() {
  char** names = nullptr;
  const int count = sd_listen_fds_with_names(1, &names);
  std::vector<Passed> passed;
  for (int i = 0; i < count; ++i) {
    passed.push_back({UniqueFd(SD_LISTEN_FDS_START + i),
                      names != nullptr && names[i] != nullptr ? names[i] : ""});
  }
  if (names != nullptr) {
    for (int i = 0; names[i] != nullptr; ++i) std::free(names[i]);
    std::free(static_cast<void*>(names));
  }
  return passed;
}

ListenSocket bind_listen(const std::string& listen, const addrinfo* addresses) {
  std::string last_error = "no usable address";
  for (const addrinfo* ai = addresses; ai != nullptr; ai = ai->ai_next) {
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
    return {std::move(fd), listen, true};
  }
  throw ListenError("cannot listen on " + listen + ": " + last_error);
}

}  // namespace

ListenSocket open_listen_socket(const std::string& listen,
                                const std::function<void()>& forget_stored) {
  std::vector<Passed> passed = take_passed();
  // A socket unit's socket (any name but ours) comes first: the
  // administrator chose socket activation.
  for (Passed& p : passed) {
    if (p.name == kStoredSocketName) continue;
    const int fd = p.fd.get();
    if (!listening_stream(fd)) {
      throw ListenError("the socket passed by systemd (fd " + std::to_string(fd) +
                        ") is not a listening stream socket");
    }
    prepare(fd);
    for (const Passed& q : passed) {
      if (q.name == kStoredSocketName && forget_stored) {
        forget_stored();  // an earlier run's socket, not needed beside the unit's
        break;
      }
    }
    return {std::move(p.fd), "socket from systemd (fd " + std::to_string(fd) + ")",
            false};
  }
  const AddrList addresses = resolve(listen);
  for (Passed& p : passed) {
    if (listening_stream(p.fd.get()) && bound_to(p.fd.get(), addresses.get())) {
      prepare(p.fd.get());
      return {std::move(p.fd), listen + " (kept across the restart)", false};
    }
    // Bound elsewhere (listen changed) or not a listener: systemd's copy
    // goes too, or it would hold the old address (and maybe this port).
    p.fd.reset();
    if (forget_stored) forget_stored();
  }
  return bind_listen(listen, addresses.get());
}

}  // namespace fibd
