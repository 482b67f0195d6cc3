#include "http/request_parser.h"

#include <cstring>

#include "http/request_target.h"
#include "http/syntax.h"

namespace fibd::http {

namespace {

ParseResult fail(int status, std::string_view message) {
  return {ParseResult::Status::Error, 0, status, message};
}

ParseResult parse_version(std::string_view v, Request& out) {
  // HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive.
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !syntax::is_digit(v[5]) ||
      v[6] != '.' || !syntax::is_digit(v[7])) {
    return fail(400, "malformed request-line: expected METHOD SP TARGET SP HTTP/1.1");
  }
  if (v[5] != '1') return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  out.version_minor = v[7] == '0' ? 0 : 1;  // 1.x, x > 1: answered as 1.1
  return {};
}

ParseResult parse_request_line(std::string_view line, Request& out) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) {
    return fail(400, "malformed request-line: expected METHOD SP TARGET SP HTTP/1.1");
  }
  const std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!syntax::is_tchar(c)) return fail(400, "malformed request-line: invalid method");
  }
  ParseResult r = parse_version(line.substr(sp2 + 1), out);
  if (r.error()) return r;
  out.method_text = method;
  out.method = method == "GET"    ? Method::Get
               : method == "HEAD" ? Method::Head
                                  : Method::Other;
  if (method == "CONNECT") return fail(501, "CONNECT is not supported");
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  return parse_target(out);
}

// A trailer field line (RFC 9112 7.1.2): read and dropped, but well-formed.
bool valid_trailer(std::string_view line) {
  std::size_t colon = 0;
  while (colon < line.size() && syntax::is_tchar(line[colon])) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return false;
  for (char c : line.substr(colon + 1)) {
    if (!syntax::is_field_value_char(c) && !syntax::is_ows(c)) return false;
  }
  return true;
}

// The last-chunk line: 1*"0" [ chunk-ext ] (RFC 9112 7.1, 7.1.1).
ParseResult check_last_chunk(std::string_view line) {
  std::size_t zeros = 0;
  while (zeros < line.size() && line[zeros] == '0') ++zeros;
  if (zeros < line.size() && syntax::is_hex(line[zeros]))
    return fail(413, "request content is not accepted");
  if (zeros == 0) return fail(400, "malformed chunk size");
  std::string_view ext = syntax::trim_ows(line.substr(zeros));
  if (ext.empty()) return {};
  if (ext.front() != ';') return fail(400, "malformed chunk extension");
  for (char c : ext) {
    if (!syntax::is_field_value_char(c) && !syntax::is_ows(c))
      return fail(400, "malformed chunk extension");
  }
  return {};
}

}  // namespace

// After a GET or HEAD head with chunked framing: the last-chunk, any
// trailer fields, and the final CRLF, all within http.max_header_bytes.
ParseResult RequestParser::parse_empty_chunked(std::string_view input) const {
  std::size_t pos = body_start_;
  bool first = true;
  while (true) {
    const std::size_t lf = input.find('\n', pos);
    if (lf == std::string_view::npos || lf + 1 > max_head_) break;
    if (lf == pos || input[lf - 1] != '\r')
      return fail(400, "line ends with a bare LF, not CRLF");
    const std::string_view line = input.substr(pos, lf - 1 - pos);
    if (first) {
      ParseResult r = check_last_chunk(line);
      if (r.error()) return r;
      first = false;
    } else if (line.empty()) {
      return {ParseResult::Status::Complete, lf + 1, 0, {}};
    } else if (!valid_trailer(line)) {
      return fail(400, "malformed trailer field");
    }
    pos = lf + 1;
  }
  if (input.size() >= max_head_) {
    return fail(431,
                "request head and its empty chunked body longer than "
                "http.max_header_bytes");
  }
  return {};
}

ParseResult RequestParser::parse(std::string_view input, Request& out) {
  if (body_start_ != std::string_view::npos) {  // the head was complete already
    const std::size_t fields_start = line_end_ + 2;
    ParseResult r =
        parse_head_parts(input.substr(start_, line_end_ - start_),
                         input.substr(fields_start, fields_end_ - fields_start), out);
    if (r.error()) return r;
    return parse_empty_chunked(input);
  }
  const char* data = input.data();
  std::size_t pos = scanned_;
  while (pos < input.size()) {
    const void* found = std::memchr(data + pos, '\n', input.size() - pos);
    if (found == nullptr) break;
    const std::size_t lf = static_cast<const char*>(found) - data;
    if (lf == 0 || data[lf - 1] != '\r')
      return fail(400, "line ends with a bare LF, not CRLF");
    const std::size_t length = lf - 1 - line_start_;  // without CRLF
    if (lf + 1 > max_head_) {
      return fail(
          431,
          "request head (request line and fields) longer than http.max_header_bytes");
    }
    if (line_end_ == std::string_view::npos) {
      if (length == 0) {
        start_ = lf + 1;  // an empty line before the request-line: skipped
      } else if (length > max_line_) {
        return fail(414, "request line longer than http.max_request_line");
      } else {
        line_end_ = lf - 1;
      }
    } else if (length == 0) {
      const std::size_t fields_start = line_end_ + 2;
      ParseResult r =
          parse_head_parts(input.substr(start_, line_end_ - start_),
                           input.substr(fields_start, line_start_ - fields_start), out);
      if (r.error()) return r;
      if (!out.chunked) return {ParseResult::Status::Complete, lf + 1, 0, {}};
      fields_end_ = line_start_;
      body_start_ = lf + 1;
      return parse_empty_chunked(input);
    }
    line_start_ = lf + 1;
    pos = lf + 1;
  }
  scanned_ = input.size();
  // No LF yet in the current line: refuse as soon as a limit is certainly
  // passed (one more byte may be the CR of the line's CRLF).
  if (line_end_ == std::string_view::npos && input.size() - line_start_ > max_line_ + 1) {
    return fail(414, "request line longer than http.max_request_line");
  }
  if (input.size() >= max_head_) {
    return fail(
        431, "request head (request line and fields) longer than http.max_header_bytes");
  }
  return {};
}

ParseResult parse_head_parts(std::string_view line, std::string_view fields,
                             Request& out) {
  out = Request{};
  ParseResult r = parse_request_line(line, out);
  if (r.error()) return r;
  out.fields = fields;
  return check_fields(out);
}

}  // namespace fibd::http
