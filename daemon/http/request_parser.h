// fibd's request-head parser: strict RFC 9112/9110 for an origin server that
// serves GET and HEAD and accepts no request content.
//
// It works in place: the Request it fills holds views into the input, and it
// allocates nothing. The head arrives in pieces, so parse() is resumable: it
// remembers how far it has looked for the end of the head and only checks
// the whole head once the empty line has arrived.
//
// Decisions where RFC 9112 leaves a choice (docs/architecture.md lists them):
// - Lines end with CRLF. A bare LF (allowed by 2.2 as a MAY) is refused, as is
//   a bare CR: a server that reads line ends differently from a proxy in
//   front of it is a smuggling vector.
// - Empty lines before the request-line are skipped (2.2 SHOULD).
// - Exactly one SP between the parts of the request-line.
// - obs-fold, and whitespace before the first field or before a colon, are
//   refused with 400 (5.1, 5.2).
// - Framing that a proxy could read differently is refused whatever the
//   method: an invalid, repeated or listed Content-Length, Transfer-Encoding
//   with Content-Length, on HTTP/1.0, or without chunked last gets 400; an
//   unknown transfer coding 501.
// - Then the method decides before the content (RFC 9110 9.1): a method other
//   than GET/HEAD with content is handed on (405 or 404) with
//   Request::content_unread set, its content never read, and the connection
//   closes after the answer. GET/HEAD with a non-zero Content-Length get 413;
//   with chunked framing the body is read here and must be empty (a
//   last-chunk, optional extensions and trailers): any data chunk gets 413.
// - An Upgrade field is ignored (RFC 9110 7.8): fibd answers in HTTP/1.1.
// - CONNECT and "OPTIONS *" get 501; HTTP/2+ request-lines 505; HTTP/1.x with
//   x > 1 is served as HTTP/1.1.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/limits.h"
#include "http/request.h"

namespace fibd::http {

struct ParseResult {
  enum class Status { Incomplete, Complete, Error };
  Status status = Status::Incomplete;
  // Complete: bytes of the head, final CRLF included, and of its empty
  // chunked body when Request::chunked.
  std::size_t length = 0;
  int error_status = 0;      // Error: 400, 413, 414, 431, 501 or 505
  std::string_view message;  // Error: what was wrong (static text)

  bool complete() const { return status == Status::Complete; }
  bool error() const { return status == Status::Error; }
};

class RequestParser {
 public:
  RequestParser(std::size_t max_request_line, std::size_t max_header_bytes)
      : max_line_(max_request_line), max_head_(max_header_bytes) {}
  explicit RequestParser(const Limits& limits)
      : RequestParser(limits.max_request_line, limits.max_header_bytes) {}

  // `input` starts at the head (it may hold more after it). Call again with
  // the same input grown when Incomplete; call reset() before the next head.
  ParseResult parse(std::string_view input, Request& out);
  void reset() { *this = RequestParser(max_line_, max_head_); }

  // Bytes already looked at without finding the end (so > 0: a head started).
  std::size_t scanned() const { return scanned_; }

 private:
  std::size_t max_line_;
  std::size_t max_head_;
  std::size_t scanned_ = 0;                        // input before this holds no unseen LF
  std::size_t start_ = 0;                          // the request-line (after empty lines)
  std::size_t line_start_ = 0;                     // the line being scanned
  std::size_t line_end_ = std::string_view::npos;  // request-line's CR
  std::size_t fields_end_ = 0;                     // Request::chunked: the empty line
  std::size_t body_start_ = std::string_view::npos;  // Request::chunked: after the head

  ParseResult parse_empty_chunked(std::string_view input) const;
};

// The checks of a complete head: `line` is the request-line without CRLF,
// `fields` the field lines with their CRLFs (the final empty line excluded).
ParseResult parse_head_parts(std::string_view line, std::string_view fields,
                             Request& out);

}  // namespace fibd::http
