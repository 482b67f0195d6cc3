// The request-target (RFC 9112 3.2) and the Host field (RFC 9110 7.2) of a
// request head, and the checks of its field lines (RFC 9112 5, 6).
#pragma once

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

// Checks every field line of out.fields and applies the ones that matter
// (Host, Connection, Content-Length, Transfer-Encoding, Upgrade).
ParseResult check_fields(Request& out);

}  // namespace fibd::http
