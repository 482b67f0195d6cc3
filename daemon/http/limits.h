// Limits and timeouts of the HTTP layer (the `http:` configuration section).
#pragma once

#include <chrono>
#include <cstddef>

namespace fibd::http {

struct Limits {
  std::size_t max_connections = 10000;
  std::chrono::milliseconds head_timeout{
      15000};  // whole head, from its first byte or accept
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive wait for the next request
  std::size_t max_request_line = 8 * 1024;        // bytes before the CRLF; longer: 414
  std::size_t max_header_bytes = 32 * 1024;  // request line + fields + CRLFs; longer: 431
};

}  // namespace fibd::http
