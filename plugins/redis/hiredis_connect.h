// Opening a hiredis context: the one place where hiredis 0.14 (bookworm) and
// hiredis 1.x (trixie) differ for this plugin. CMake compiles
// hiredis_connect_v0.cpp or hiredis_connect_v1.cpp by the major version of
// the hiredis it finds.
#pragma once

#include <sys/time.h>

#include "options.h"

struct redisAsyncContext;

namespace fibd_redis {

// Starts a non-blocking connect to `address` for hiredis' async API, with
// close-on-exec. The caller bounds the connect with its own timer (hiredis
// 0.14 has no async connect timeout) and frees the context with
// redisAsyncFree() when ->err is set. nullptr when it could not be allocated.
redisAsyncContext* hiredis_async_connect(const Address& address);

}  // namespace fibd_redis
