// redis.so's get and set made on a fibd event loop (its thread), as fibd
// makes them, waited for by the test.
#pragma once

#include "../support/host_loop.h"
#include "redis_plugin_harness.h"

namespace fibd_redis_test {

inline GetResult get_on_loop(Instance& c, fibd::test::HostLoop& host,
                             const std::string& key) {
  auto call = host.run([&] { return c.start_get(key, 0, host.handle); });
  EXPECT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
  EXPECT_TRUE(call.waiter->wait());
  return call.waiter->result();
}

// Not PENDING: that status, and its error.
inline GetResult set_on_loop(Instance& c, fibd::test::HostLoop& host,
                             const std::string& key, const std::string& value,
                             uint64_t ttl_ms = 60000) {
  auto call = host.run([&] { return c.start_set(key, value, ttl_ms, 0, host.handle); });
  if (call.status != FIBD_CACHE_PENDING) return {call.status, {}, call.error};
  EXPECT_TRUE(call.waiter->wait());
  return call.waiter->result();
}

}  // namespace fibd_redis_test
