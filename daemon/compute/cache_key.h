// Cache keys are canonical: one key per n, whatever digits the client sent
// ("/fib/010" and "/fib/10" are one entry) and whatever the plugin.
#pragma once

#include <cstdint>
#include <string>

namespace fibd {

// The plain decimal form of n ("010" -> "10").
inline std::string cache_key(std::uint64_t n) { return std::to_string(n); }

}  // namespace fibd
