// What a handler answers: a status, a content type, extra fields and the
// content. Views only, so answering on the loop thread allocates nothing;
// OwnedResponse carries the same across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fibd::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

struct Response {
  int status = 200;
  std::string_view content_type;    // empty: no Content-Type field
  std::span<const Header> headers;  // extra fields (X-Cache, Allow, Retry-After, ...)
  // The content is `prefix + body + suffix` (a JSON wrapper around a large
  // shared value need not be copied). For HEAD only its length is sent.
  std::string_view prefix;
  std::string_view body;
  std::string_view suffix;
  // Set when `body` lives in this string: a large body is then handed to
  // the socket by reference instead of copied, and kept alive meanwhile.
  std::shared_ptr<const std::string> body_owner;

  std::size_t content_length() const {
    return prefix.size() + body.size() + suffix.size();
  }
};

// A Response whose fields and content it owns (for answering from another
// thread or after the request's views are gone).
struct OwnedResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string prefix;
  std::shared_ptr<const std::string> body;
  std::string suffix;
};

}  // namespace fibd::http
