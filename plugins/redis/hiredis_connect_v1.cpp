// hiredis 1.x: redisAsyncConnectWithOptions(), close-on-exec set on the
// socket afterwards (REDIS_OPT_SET_SOCK_CLOEXEC is not in every 1.x).
#include <fcntl.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hiredis_connect.h"

namespace fibd_redis {

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
