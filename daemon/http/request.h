// One parsed HTTP/1.x request head. Every view points into the connection's
// input buffer and is valid only while the handler is being called; a handler
// that answers later copies what it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fibd::http {

enum class Method : std::uint8_t { Get, Head, Other };

struct Request {
  Method method = Method::Other;
  std::string_view method_text;    // as sent (a token), e.g. "GET", "PATCH"
  std::string_view target;         // the request-target as sent
  std::string_view path;           // origin-form path ("/" if the target had none)
  std::string_view query;          // after '?', without it; empty if none
  std::string_view host;           // the Host field value (may be empty)
  std::uint8_t version_minor = 1;  // HTTP/1.0 -> 0, HTTP/1.1 (and 1.x) -> 1
  bool keep_alive = true;          // the connection may carry another request
  // A method other than GET or HEAD sent content: it is answered (405, 404)
  // without being read, and the connection closes after the answer.
  bool content_unread = false;
  // GET or HEAD with Transfer-Encoding: chunked: an empty chunked body
  // follows the head (the parser reads it; any chunk of data is refused).
  bool chunked = false;
  // The header field lines (from the first field to the empty line, CRLFs
  // included), already checked; find_field() looks names up in it.
  std::string_view fields;
};

// The value of the first field named `name` (case-insensitive), OWS trimmed;
// empty if there is none. `fields` is Request::fields.
std::string_view find_field(std::string_view fields, std::string_view name);

}  // namespace fibd::http
