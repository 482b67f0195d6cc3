// hiredis 0.14: redisAsyncConnect()/redisAsyncConnectUnix(), close-on-exec
// set on the socket afterwards.
#include <fcntl.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

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
