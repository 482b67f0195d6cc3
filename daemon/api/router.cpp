#include "api/router.h"

#include <charconv>

namespace fibd {

Route route(std::string_view uri) {
  std::string_view path = uri.substr(0, uri.find_first_of("?#"));
  constexpr std::string_view kFibPrefix = "/fib/";
  if (path.starts_with(kFibPrefix)) {
    return {Endpoint::Fib, path.substr(kFibPrefix.size())};
  }
  if (path == "/healthz") return {Endpoint::Healthz, {}};
  if (path == "/metrics") return {Endpoint::Metrics, {}};
  return {Endpoint::NotFound, {}};
}

ParseN parse_n(std::string_view text, std::uint64_t max_n, std::uint64_t& n) {
  if (text.empty()) return ParseN::Invalid;
  for (char c : text) {
    if (c < '0' || c > '9') return ParseN::Invalid;
  }
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return ParseN::TooLarge;
  if (ec != std::errc() || ptr != text.data() + text.size()) return ParseN::Invalid;
  if (value > max_n) return ParseN::TooLarge;
  n = value;
  return ParseN::Ok;
}

}  // namespace fibd
