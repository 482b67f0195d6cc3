#include "redirect.h"

#include <optional>

namespace fibd_redis {

namespace {

// Plain decimal digits only (no sign, no spaces), at most `max`.
std::optional<unsigned> parse_number(std::string_view s, unsigned max) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

ReplyError bad(std::string problem) {
  ReplyError e;
  e.kind = ReplyErrorKind::kBadRedirect;
  e.problem = std::move(problem);
  return e;
}

// "<slot> <host>:<port>" after "MOVED " or "ASK ".
ReplyError parse_redirect(ReplyErrorKind kind, std::string_view rest,
                          std::string_view answering_host) {
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) return bad("no address after the slot");
  const auto slot = parse_number(rest.substr(0, space), 16383);
  if (!slot) return bad("the slot is not a number from 0 to 16383");
  const std::string_view endpoint = rest.substr(space + 1);
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return bad("the address has no port");
  std::string_view host = endpoint.substr(0, colon);
  const auto port = parse_number(endpoint.substr(colon + 1), 65535);
  if (!port || *port == 0) return bad("the port is not a number from 1 to 65535");
  if (host.empty()) {
    host = answering_host;
  } else if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.find(':') == std::string_view::npos)
      return bad("brackets around no IPv6 address");
  }
  if (host.empty()) return bad("no host, and no answering host to stand for it");
  if (!plausible_host(host)) return bad("the host is not a host name or address");
  ReplyError e;
  e.kind = kind;
  e.slot = static_cast<uint16_t>(*slot);
  e.node = ClusterNode{std::string(host), static_cast<uint16_t>(*port)};
  return e;
}

}  // namespace

ReplyError classify_reply_error(std::string_view text, std::string_view answering_host) {
  const size_t space = text.find(' ');
  const std::string_view code = text.substr(0, space);
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  if (code == "MOVED")
    return parse_redirect(ReplyErrorKind::kMoved, rest, answering_host);
  if (code == "ASK") return parse_redirect(ReplyErrorKind::kAsk, rest, answering_host);
  ReplyError e;
  if (code == "TRYAGAIN")
    e.kind = ReplyErrorKind::kTryAgain;
  else if (code == "CLUSTERDOWN")
    e.kind = ReplyErrorKind::kClusterDown;
  else if (code == "READONLY")
    e.kind = ReplyErrorKind::kReadOnly;
  else if (code == "MASTERDOWN")
    e.kind = ReplyErrorKind::kMasterDown;
  return e;
}

}  // namespace fibd_redis
