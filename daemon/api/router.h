// Pure request classification: which endpoint a method + URI names, and the
// parsing of n. No I/O, so it is cheap to unit-test and to fuzz.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fibd {

enum class Endpoint { Fib, Healthz, Metrics, NotFound };

struct Route {
  Endpoint endpoint = Endpoint::NotFound;
  // For Endpoint::Fib: the n text exactly as in the path (not yet validated).
  std::string_view n_text;
};

// Classifies a request-target (path plus optional query, which is ignored).
Route route(std::string_view uri);

enum class ParseN { Ok, Invalid, TooLarge };

// n must be plain decimal digits: no sign, no exponent, no spaces, not empty.
// Leading zeros are allowed ("010" is 10). Ok fills n; TooLarge when the value
// exceeds max_n (including values beyond 64 bits).
ParseN parse_n(std::string_view text, std::uint64_t max_n, std::uint64_t& n);

}  // namespace fibd
