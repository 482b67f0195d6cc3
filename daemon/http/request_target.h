// The request-target (RFC 9112 3.2) and the Host field (RFC 9110 7.2) of a
// request head, and the checks of its field lines (RFC 9112 5, 6).
#pragma once

#include <string>
#include <string_view>

#include "http/request.h"
#include "http/request_parser.h"

namespace fibd::http {

// Accepts origin-form and absolute-form (http, https); fills path and query
// (and host, for absolute-form). "OPTIONS *" is 501, anything else 400.
ParseResult parse_target(Request& out);

// uri-host [ ":" port ]: an IP-literal, IPv4 address or reg-name, no userinfo.
// Empty is valid (a Host field may be empty).
bool valid_authority(std::string_view authority);

// The path with its percent-encoded unreserved characters (ALPHA, DIGIT,
// "-", ".", "_", "~") decoded, as RFC 3986 6.2.2.2 makes "/fib/%31%30" the
// same resource as "/fib/10". Every other "%HH" (%2F, %00, ...) stays as it
// is. Returns `path` itself when it has no '%', else a view of `scratch`.
std::string_view decode_unreserved(std::string_view path, std::string& scratch);

// Checks every field line of out.fields and applies the ones that matter
// (Host, Connection, Content-Length, Transfer-Encoding).
ParseResult check_fields(Request& out);

}  // namespace fibd::http
