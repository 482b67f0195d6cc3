// fibd's HTTP request-head parser: every byte string a client can send
// before the end of a head. Properties: no crash or over-read; an accepted
// head ends with CRLF CRLF within the limits; every view lies inside the
// input and holds no CR, LF or NUL; and feeding the bytes in two pieces
// (as they may arrive) reaches the same verdict as feeding them at once.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "http/request_parser.h"

using namespace fibd::http;

namespace {

bool inside(std::string_view view, std::string_view input) {
  return view.empty() || (view.data() >= input.data() &&
                          view.data() + view.size() <= input.data() + input.size());
}

bool clean(std::string_view view) {
  return view.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void check_request(const Request& r, std::string_view input) {
  for (std::string_view v : {r.method_text, r.target, r.path, r.query, r.host}) {
    // An absolute-form target without a path gets the path "/" (a constant).
    FUZZ_CHECK(inside(v, input) || (v.data() == r.path.data() && v == "/"),
               "a view outside the input");
    FUZZ_CHECK(clean(v), "CR, LF or NUL in a view");
  }
  FUZZ_CHECK(inside(r.fields, input), "fields outside the input");
  FUZZ_CHECK(!r.method_text.empty() && !r.target.empty(), "empty method or target");
  FUZZ_CHECK(!r.path.empty() && r.path.front() == '/', "path without '/'");
  FUZZ_CHECK(r.version_minor <= 1, "version 1.%d", r.version_minor);
  FUZZ_CHECK(r.method != Method::Get || r.method_text == "GET", "GET mislabelled");
  FUZZ_CHECK(r.method != Method::Head || r.method_text == "HEAD", "HEAD mislabelled");
}

void check(std::string_view input, std::size_t max_line, std::size_t max_head,
           std::size_t split) {
  RequestParser whole_parser(max_line, max_head);
  Request whole;
  const ParseResult w = whole_parser.parse(input, whole);
  if (w.complete()) {
    FUZZ_CHECK(w.length <= input.size() && w.length <= max_head, "length %zu", w.length);
    FUZZ_CHECK(input.substr(0, w.length).ends_with("\r\n\r\n"),
               "no CRLF CRLF at the end");
    check_request(whole, input);
  }
  if (w.error()) {
    const int s = w.error_status;
    FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505,
               "status %d", s);
    FUZZ_CHECK(!w.message.empty(), "no message");
  }

  RequestParser split_parser(max_line, max_head);
  Request pieces;
  ParseResult p = split_parser.parse(input.substr(0, split), pieces);
  if (p.status == ParseResult::Status::Incomplete) p = split_parser.parse(input, pieces);
  FUZZ_CHECK(p.status == w.status || (p.complete() && p.length <= split),
             "in two pieces: status %d, at once: %d", static_cast<int>(p.status),
             static_cast<int>(w.status));
  if (p.complete() && w.complete()) {
    FUZZ_CHECK(p.length == w.length, "length %zu vs %zu", p.length, w.length);
    FUZZ_CHECK(pieces.target == whole.target && pieces.keep_alive == whole.keep_alive &&
                   pieces.host == whole.host,
               "different requests");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  check(input, 8192, 32768, split);
  check(input, 64, 256, split);  // small limits: the 414/431 paths
  return 0;
}
