// The near cache: an optional in-process first tier in front of a remote
// cache plugin (cache.near.max_bytes). Safe without invalidation because
// F(n) never changes; an entry lives at most max_ttl (cache.expiration), so
// it never outlives what the remote tier would keep. A miss here asks the
// remote tier, so daemons sharing one remote still see each other's results.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "plugin_host/cache.h"

namespace fibd {

// `max_bytes` (> 0) bounds keys, values and a fixed overhead per entry;
// `max_ttl` 0 means entries live as long as the remote tier's would (no
// expiry). Everything but get/set is the remote tier's.
std::shared_ptr<Cache> make_near_cache(std::shared_ptr<Cache> remote,
                                       std::uint64_t max_bytes,
                                       std::chrono::milliseconds max_ttl);

}  // namespace fibd
