// hiredis 0.14: one timeout at connect; the command timeout and
// close-on-exec are set on the connected socket afterwards.
#include <fcntl.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

redisContext* hiredis_connect(const Address& address, const timeval& connect_timeout,
                              const timeval& command_timeout) {
  redisContext* c =
      address.is_unix
          ? redisConnectUnixWithTimeout(address.path.c_str(), connect_timeout)
          : redisConnectWithTimeout(address.host.c_str(), address.port, connect_timeout);
  if (c == nullptr || c->err != 0) return c;
  int fdflags = ::fcntl(c->fd, F_GETFD);
  if (fdflags >= 0) ::fcntl(c->fd, F_SETFD, fdflags | FD_CLOEXEC);
  redisSetTimeout(c, command_timeout);
  return c;
}

// redisAsyncConnect()/redisAsyncConnectUnix(): the only async constructors
// 0.14 has.
redisAsyncContext* hiredis_async_connect(const Address& address) {
  redisAsyncContext* ac = address.is_unix
                              ? redisAsyncConnectUnix(address.path.c_str())
                              : redisAsyncConnect(address.host.c_str(), address.port);
  if (ac == nullptr || ac->err != 0) return ac;
  int fdflags = ::fcntl(ac->c.fd, F_GETFD);
  if (fdflags >= 0) ::fcntl(ac->c.fd, F_SETFD, fdflags | FD_CLOEXEC);
  return ac;
}

}  // namespace fibd_redis
