// The field lines of a request head (RFC 9112 5; framing: 6; Host: RFC 9110 7.2).
#include "http/request_target.h"
#include "http/syntax.h"

namespace fibd::http {

namespace {

ParseResult fail(int status, std::string_view message) {
  return {ParseResult::Status::Error, 0, status, message};
}

// Calls fn(name, value) for each comma-separated element of a list field,
// skipping empty elements (RFC 9110 5.6.1); stops early if fn returns false.
template <typename Fn>
bool for_each_element(std::string_view list, Fn&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = syntax::trim_ows(list.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

struct Seen {
  int hosts = 0;
  int content_lengths = 0;
  std::string_view content_length;
  std::string_view transfer_encoding;  // the last one (all are checked)
  bool has_transfer_encoding = false;
  bool chunked_last = false;
  bool unknown_coding = false;
  int chunked_count = 0;
  bool close = false;
  bool keep_alive = false;
};

ParseResult apply_field(std::string_view name, std::string_view value, Request& out,
                        Seen& seen) {
  if (syntax::iequals(name, "host")) {
    if (++seen.hosts > 1) return fail(400, "more than one Host field");
    if (!valid_authority(value)) return fail(400, "invalid Host field");
    if (out.target.front() == '/') out.host = value;  // absolute-form: the target's host
  } else if (syntax::iequals(name, "content-length")) {
    if (++seen.content_lengths > 1)
      return fail(400, "more than one Content-Length field");
    if (value.empty()) return fail(400, "invalid Content-Length");
    for (char c : value) {
      if (!syntax::is_digit(c)) return fail(400, "invalid Content-Length");
    }
    seen.content_length = value;
  } else if (syntax::iequals(name, "transfer-encoding")) {
    seen.has_transfer_encoding = true;
    seen.chunked_last = false;  // a later field's codings come after
    for_each_element(value, [&](std::string_view coding) {
      seen.chunked_last = syntax::iequals(coding, "chunked");
      if (seen.chunked_last) {
        ++seen.chunked_count;
      } else {
        seen.unknown_coding = true;
      }
      return true;
    });
  } else if (syntax::iequals(name, "connection")) {
    for_each_element(value, [&](std::string_view option) {
      if (syntax::iequals(option, "close")) seen.close = true;
      if (syntax::iequals(option, "keep-alive")) seen.keep_alive = true;
      return true;
    });
  }
  // Upgrade (and its Connection option) is ignored: fibd never switches
  // protocols and answers in HTTP/1.1 (RFC 9110 7.8 lets a server do so).
  return {};
}

// Smuggling-prone framing is refused whatever the method. Then the method
// decides before the content does: a method fibd does not serve is answered
// without its content being read; GET and HEAD may carry none but an empty
// chunked body.
ParseResult check_framing(Request& out, const Seen& seen) {
  bool content = false;
  if (seen.has_transfer_encoding) {
    if (out.version_minor == 0)
      return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (seen.content_lengths > 0) {
      return fail(400, "both Transfer-Encoding and Content-Length");
    }
    if (!seen.chunked_last || seen.chunked_count != 1) {
      return fail(400, "Transfer-Encoding must end with chunked, applied once");
    }
    if (seen.unknown_coding) return fail(501, "unsupported transfer coding");
    content = true;
  }
  for (char c : seen.content_length) content = content || c != '0';
  if (!content) return {};
  if (out.method == Method::Other) {
    out.content_unread = true;
    return {};
  }
  if (!seen.has_transfer_encoding) return fail(413, "request content is not accepted");
  out.chunked = true;
  return {};
}

}  // namespace

ParseResult check_fields(Request& out) {
  Seen seen;
  std::string_view rest = out.fields;
  while (!rest.empty()) {
    // Each line ends with CRLF (the scanner checked every LF).
    const std::size_t cr = rest.find("\r\n");
    if (cr == std::string_view::npos) return fail(400, "malformed field line");
    const std::string_view line = rest.substr(0, cr);
    rest.remove_prefix(cr + 2);
    if (line.empty() || syntax::is_ows(line.front())) {
      return fail(400, "obsolete line folding or whitespace before a field");
    }
    std::size_t colon = 0;
    while (colon < line.size() && syntax::is_tchar(line[colon])) ++colon;
    if (colon == line.size() || line[colon] != ':') {
      if (colon < line.size() && syntax::is_ows(line[colon])) {
        return fail(400, "whitespace between a field name and its colon");
      }
      return fail(400, "malformed field line");
    }
    if (colon == 0) return fail(400, "empty field name");
    const std::string_view value = syntax::trim_ows(line.substr(colon + 1));
    for (char c : value) {
      if (!syntax::is_field_value_char(c)) {
        return fail(400, "invalid character in a field value");
      }
    }
    ParseResult r = apply_field(line.substr(0, colon), value, out, seen);
    if (r.error()) return r;
  }
  if (out.version_minor == 1 && seen.hosts != 1) {
    return fail(400, "an HTTP/1.1 request needs exactly one Host field");
  }
  ParseResult r = check_framing(out, seen);
  if (r.error()) return r;
  out.keep_alive =
      !out.content_unread &&
      (out.version_minor == 1 ? !seen.close : seen.keep_alive && !seen.close);
  return {};
}

std::string_view find_field(std::string_view fields, std::string_view name) {
  while (!fields.empty()) {
    const std::size_t cr = fields.find("\r\n");
    const std::string_view line = fields.substr(0, cr);
    fields.remove_prefix(cr == std::string_view::npos ? fields.size() : cr + 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && syntax::iequals(line.substr(0, colon), name)) {
      return syntax::trim_ows(line.substr(colon + 1));
    }
  }
  return {};
}

}  // namespace fibd::http
