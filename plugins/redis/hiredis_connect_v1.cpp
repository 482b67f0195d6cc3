// hiredis 1.x: redisConnectWithOptions() takes the connect and the command
// timeout separately, so no read or write ever runs under the connect timeout.
#include <fcntl.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

redisContext* hiredis_connect(const Address& address, const timeval& connect_timeout,
                              const timeval& command_timeout) {
  redisOptions options{};
  if (address.is_unix) {
    REDIS_OPTIONS_SET_UNIX(&options, address.path.c_str());
  } else {
    REDIS_OPTIONS_SET_TCP(&options, address.host.c_str(), address.port);
  }
  options.connect_timeout = &connect_timeout;
  options.command_timeout = &command_timeout;
  redisContext* c = redisConnectWithOptions(&options);
  if (c == nullptr || c->err != 0) return c;
  // Set on the connected socket: REDIS_OPT_SET_SOCK_CLOEXEC is not in every 1.x.
  int fdflags = ::fcntl(c->fd, F_GETFD);
  if (fdflags >= 0) ::fcntl(c->fd, F_SETFD, fdflags | FD_CLOEXEC);
  return c;
}

// redisAsyncConnectWithOptions(), without hiredis' own connect and command
// timeouts: the plugin's timers bound both, the same way on 0.14 and 1.x.
redisAsyncContext* hiredis_async_connect(const Address& address) {
  redisOptions options{};
  if (address.is_unix) {
    REDIS_OPTIONS_SET_UNIX(&options, address.path.c_str());
  } else {
    REDIS_OPTIONS_SET_TCP(&options, address.host.c_str(), address.port);
  }
  redisAsyncContext* ac = redisAsyncConnectWithOptions(&options);
  if (ac == nullptr || ac->err != 0) return ac;
  int fdflags = ::fcntl(ac->c.fd, F_GETFD);
  if (fdflags >= 0) ::fcntl(ac->c.fd, F_SETFD, fdflags | FD_CLOEXEC);
  return ac;
}

}  // namespace fibd_redis
