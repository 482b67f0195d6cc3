// Runs fibd's request-head parser over inputs read from stdin, for the
// differential test against a reference parser (tests/integration/
// test_http_differential.py). Input: records of a 4-byte big-endian length
// and that many bytes. Output, one line per record:
//   complete LENGTH METHOD TARGET_HEX MINOR KEEP_ALIVE HOST_HEX
//   error STATUS
//   incomplete
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace {

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "x";  // never empty
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace

int main() {
  std::string input;
  unsigned char size_bytes[4];
  while (std::fread(size_bytes, 1, 4, stdin) == 4) {
    const std::size_t size = (std::size_t{size_bytes[0]} << 24) | (size_bytes[1] << 16) |
                             (size_bytes[2] << 8) | size_bytes[3];
    input.resize(size);
    if (size != 0 && std::fread(input.data(), 1, size, stdin) != size) return 1;
    fibd::http::RequestParser parser(8192, 32768);
    fibd::http::Request r;
    const auto result = parser.parse(input, r);
    if (result.complete()) {
      std::printf("complete %zu %.*s %s %d %d %s\n", result.length,
                  static_cast<int>(r.method_text.size()), r.method_text.data(),
                  hex(r.target).c_str(), r.version_minor, r.keep_alive ? 1 : 0,
                  hex(r.host).c_str());
    } else if (result.error()) {
      std::printf("error %d\n", result.error_status);
    } else {
      std::printf("incomplete\n");
    }
  }
  return 0;
}
