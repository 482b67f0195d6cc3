#include "http/request_target.h"

#include "http/syntax.h"

namespace fibd::http {

namespace {

ParseResult fail(int status, std::string_view message) {
  return {ParseResult::Status::Error, 0, status, message};
}

// Characters of a path and query, with '%' only as the start of "%HH".
bool valid_path_and_query(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !syntax::is_hex(s[i + 1]) || !syntax::is_hex(s[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!syntax::is_target_char(c)) {
      return false;
    }
  }
  return true;
}

void split_path_query(std::string_view path_and_query, Request& out) {
  const std::size_t q = path_and_query.find('?');
  out.path = path_and_query.substr(0, q);
  out.query =
      q == std::string_view::npos ? std::string_view() : path_and_query.substr(q + 1);
  if (out.path.empty()) out.path = "/";
}

bool valid_reg_name(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !syntax::is_hex(s[i + 1]) || !syntax::is_hex(s[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!syntax::is_host_char(s[i])) {
      return false;
    }
  }
  return true;
}

int hex_value(char c) { return syntax::is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

bool is_unreserved(char c) {
  return syntax::is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string_view decode_unreserved(std::string_view path, std::string& scratch) {
  std::size_t percent = path.find('%');
  if (percent == std::string_view::npos) return path;
  scratch.assign(path.substr(0, percent));
  for (std::size_t i = percent; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && syntax::is_hex(path[i + 1]) &&
        syntax::is_hex(path[i + 2])) {
      const char decoded =
          static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
      if (is_unreserved(decoded)) {
        scratch.push_back(decoded);
        i += 2;
        continue;
      }
    }
    scratch.push_back(path[i]);
  }
  return scratch;
}

bool valid_authority(std::string_view a) {
  std::string_view host = a;
  std::string_view rest;
  if (!a.empty() && a.front() == '[') {
    const std::size_t close = a.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : a.substr(1, close - 1)) {
      // IPv6address and IPvFuture: hex digits, ':' and '.', plus 'v' and
      // the unreserved and sub-delims characters of IPvFuture.
      if (!syntax::is_host_char(c) && c != ':') return false;
    }
    rest = a.substr(close + 1);
  } else {
    const std::size_t colon = a.find(':');
    host = a.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : a.substr(colon);
    if (!valid_reg_name(host)) return false;
  }
  if (rest.empty()) return true;
  if (rest.front() != ':') return false;
  for (char c : rest.substr(1)) {
    if (!syntax::is_digit(c)) return false;
  }
  return true;
}

ParseResult parse_target(Request& out) {
  const std::string_view t = out.target;
  if (t.front() == '/') {
    if (!valid_path_and_query(t))
      return fail(400, "invalid character in the request-target");
    split_path_query(t, out);
    return {};
  }
  if (t == "*") {
    if (out.method_text == "OPTIONS") return fail(501, "OPTIONS * is not supported");
    return fail(400, "the asterisk-form request-target is only for OPTIONS");
  }
  // absolute-form: scheme "://" authority path-abempty [ "?" query ].
  const std::size_t colon = t.find("://");
  const std::string_view scheme = t.substr(0, colon);
  if (colon == std::string_view::npos ||
      !(syntax::iequals(scheme, "http") || syntax::iequals(scheme, "https"))) {
    return fail(400, "the request-target must be a path (/...) or an http(s) URI");
  }
  const std::string_view rest = t.substr(colon + 3);
  const std::size_t end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return fail(400, "user information in the request-target is refused");
  }
  if (authority.empty() || authority.front() == ':' || !valid_authority(authority)) {
    return fail(400, "invalid host in the request-target");
  }
  const std::string_view path_and_query =
      end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (!valid_path_and_query(path_and_query)) {
    return fail(400, "invalid character in the request-target");
  }
  split_path_query(path_and_query, out);
  out.host = authority;
  return {};
}

}  // namespace fibd::http
