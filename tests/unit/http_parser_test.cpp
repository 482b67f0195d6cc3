// The request-head parser against RFC 9112/9110, one rule per test.
#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.h"
#include "http/request_target.h"

namespace fibd::http {
namespace {

using namespace std::string_literals;

struct Parsed {
  ParseResult result;
  Request request;
};

Parsed parse(std::string_view head, std::size_t max_line = 8192,
             std::size_t max_head = 32768) {
  RequestParser parser(max_line, max_head);
  Parsed p;
  p.result = parser.parse(head, p.request);
  return p;
}

int status_of(std::string_view head) {
  const Parsed p = parse(head);
  if (p.result.error()) return p.result.error_status;
  return p.result.complete() ? 0 : -1;  // 0: accepted, -1: incomplete
}

TEST(HttpParser, SimpleGet) {
  const auto p = parse("GET /fib/10?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\nrest");
  ASSERT_TRUE(p.result.complete());
  EXPECT_EQ(p.result.length, 47u);
  EXPECT_EQ(p.request.method, Method::Get);
  EXPECT_EQ(p.request.target, "/fib/10?x=1");
  EXPECT_EQ(p.request.path, "/fib/10");
  EXPECT_EQ(p.request.query, "x=1");
  EXPECT_EQ(p.request.host, "example.org");
  EXPECT_EQ(p.request.version_minor, 1);
  EXPECT_TRUE(p.request.keep_alive);
}

TEST(HttpParser, HeadAndOtherMethods) {
  EXPECT_EQ(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").request.method, Method::Head);
  const auto p = parse("PATCH / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(p.request.method, Method::Other);
  EXPECT_EQ(p.request.method_text, "PATCH");
  EXPECT_EQ(status_of("get / HTTP/1.1\r\nHost: a\r\n\r\n"),
            0);  // methods are case-sensitive tokens
  EXPECT_EQ(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n").request.method, Method::Other);
}

TEST(HttpParser, IncompleteUntilTheEmptyLine) {
  RequestParser parser(8192, 32768);
  Request r;
  std::string input = "GET / HTTP/1.1\r\nHo";
  EXPECT_EQ(parser.parse(input, r).status, ParseResult::Status::Incomplete);
  input += "st: a\r\n\r";
  EXPECT_EQ(parser.parse(input, r).status, ParseResult::Status::Incomplete);
  input += "\n";
  EXPECT_TRUE(parser.parse(input, r).complete());
}

TEST(HttpParser, ByteByByteGivesTheSameResult) {
  const std::string head = "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  RequestParser parser(8192, 32768);
  Request r;
  ParseResult res;
  for (std::size_t n = 1; n <= head.size(); ++n) {
    res = parser.parse(std::string_view(head).substr(0, n), r);
    if (n < head.size()) {
      ASSERT_EQ(res.status, ParseResult::Status::Incomplete) << n;
    }
  }
  ASSERT_TRUE(res.complete());
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpParser, LineEndings) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);       // bare LF
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\n\n"), 400);         // bare LF
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);  // bare CR
  EXPECT_EQ(status_of("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            0);  // leading empty lines
}

TEST(HttpParser, RequestLineShape) {
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\r\n\r\n"), 400);  // HTTP/0.9
  EXPECT_EQ(status_of(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
}

TEST(HttpParser, Versions) {
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").request.version_minor, 0);
  EXPECT_EQ(parse("GET / HTTP/1.9\r\nHost: a\r\n\r\n").request.version_minor, 1);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
}

TEST(HttpParser, TargetForms) {
  auto p = parse("GET http://Example.org:8080/fib/3?q HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_TRUE(p.result.complete());
  EXPECT_EQ(p.request.path, "/fib/3");
  EXPECT_EQ(p.request.query, "q");
  EXPECT_EQ(p.request.host,
            "Example.org:8080");  // the target's host wins (RFC 9112 3.2.2)
  p = parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(p.result.complete());
  EXPECT_EQ(p.request.path, "/");
  EXPECT_EQ(status_of("GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);  // userinfo
  EXPECT_EQ(status_of("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);    // empty host
  EXPECT_EQ(status_of("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 501);
  EXPECT_EQ(status_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"), 501);
  EXPECT_EQ(status_of("GET fib/1 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(HttpParser, TargetCharacters) {
  EXPECT_EQ(status_of("GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /a\"b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"s), 400);
}

TEST(HttpParser, HostRules) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);                        // missing
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);  // twice
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: \r\n\r\n"), 0);  // empty is valid
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHOST: 127.0.0.1:1\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0);  // optional in 1.0
}

TEST(HttpParser, FieldSyntax) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);  // space before colon
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n"),
            400);                                                   // obs-fold
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);  // whitespace first
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n"s), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"),
            0);                                                        // obs-text
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n"), 0);  // empty value
  const auto p = parse("GET / HTTP/1.1\r\nHost:  a \t\r\nX-Y:v w \r\n\r\n");
  ASSERT_TRUE(p.result.complete());
  EXPECT_EQ(p.request.host, "a");
  EXPECT_EQ(find_field(p.request.fields, "x-y"), "v w");
  EXPECT_EQ(find_field(p.request.fields, "absent"), "");
}

TEST(HttpParser, ConnectionOptions) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, ,close\r\n\r\n")
                   .request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(
      parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
          .request.keep_alive);
}

TEST(HttpParser, NoContentAccepted) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 000\r\n\r\n"), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"), 413);
  EXPECT_EQ(status_of("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n"), 413);
  EXPECT_EQ(
      status_of(
          "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
      413);
  EXPECT_EQ(
      status_of(
          "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"),
      400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0, 0\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
            -1);  // its (empty) chunked body has not arrived yet
  EXPECT_EQ(
      status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
      501);
  EXPECT_EQ(
      status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
      400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Length: 0\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n"), 400);
}

// The method decides before the content (RFC 9110 9.1): a method fibd does
// not serve is handed on unread, so the handler answers 405 or 404, and the
// connection is not kept.
TEST(HttpParser, MethodBeforeContent) {
  for (const char* head :
       {"POST /fib/10 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
        "DELETE /fib/1 HTTP/1.1\r\nHost: a\r\nContent-Length: "
        "99999999999999999999\r\n\r\n"}) {
    const auto p = parse(head);
    ASSERT_TRUE(p.result.complete()) << head;
    EXPECT_EQ(p.request.method, Method::Other);
    EXPECT_TRUE(p.request.content_unread);
    EXPECT_FALSE(p.request.keep_alive);
    EXPECT_FALSE(p.request.chunked);
    EXPECT_EQ(p.result.length, std::string_view(head).find("\r\n\r\n") + 4);
  }
  const auto empty =
      parse("POST /fib/10 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(empty.request.content_unread);
  EXPECT_TRUE(empty.request.keep_alive);
  // Smuggling-prone framing is refused whatever the method.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Length: 5\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
            400);
}

// GET/HEAD with chunked framing: the body is read, and must be empty.
TEST(HttpParser, EmptyChunkedBody) {
  const std::string head =
      "GET /fib/1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body :
       {"0\r\n\r\n"s, "000\r\n\r\n"s, "0;ext=1\r\n\r\n"s, "0 ; a=\"b\"\r\n\r\n"s,
        "0\r\nX-Trailer: v\r\nY: \r\n\r\n"s}) {
    const std::string input = head + body + "GET /next";  // the views point into it
    const auto p = parse(input);
    ASSERT_TRUE(p.result.complete()) << body;
    EXPECT_EQ(p.result.length, head.size() + body.size()) << body;
    EXPECT_TRUE(p.request.chunked);
    EXPECT_TRUE(p.request.keep_alive);
    EXPECT_EQ(p.request.path, "/fib/1");
  }
  EXPECT_EQ(status_of(head + "5\r\nhello\r\n0\r\n\r\n"), 413);
  EXPECT_EQ(status_of(head + "01\r\nh\r\n0\r\n\r\n"), 413);
  EXPECT_EQ(status_of(head + "a\r\n"), 413);
  EXPECT_EQ(status_of(head + "x\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "0 x\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "0\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "0\r\n\n"), 400);
  EXPECT_EQ(status_of(head + "0\r\nbad trailer\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "0\r\n: v\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "0\r\nX: a\x01\r\n\r\n"), 400);
  // Arriving byte by byte: incomplete until the final CRLF, the views
  // refreshed on each call.
  RequestParser parser(8192, 32768);
  const std::string whole = head + "0;e\r\nT: 1\r\n\r\n";
  for (std::size_t n = 1; n < whole.size(); ++n) {
    Request r;
    ASSERT_EQ(parser.parse(std::string_view(whole).substr(0, n), r).status,
              ParseResult::Status::Incomplete)
        << n;
  }
  Request r;
  const ParseResult done = parser.parse(whole, r);
  ASSERT_TRUE(done.complete());
  EXPECT_EQ(done.length, whole.size());
  EXPECT_EQ(r.path, "/fib/1");
  // Head and body together stay within max_header_bytes.
  const std::string trailers(500, 'x');
  EXPECT_EQ(
      parse(head + "0\r\nT: " + trailers + "\r\n\r\n", 8192, 512).result.error_status,
      431);
  EXPECT_EQ(parse(head + "0\r\nT: " + trailers, 8192, 512).result.error_status, 431);
}

// Upgrade is ignored (RFC 9110 7.8), as curl --http2 needs: fibd answers in
// HTTP/1.1 and keeps the connection.
TEST(HttpParser, UpgradeIsIgnored) {
  const auto p = parse(
      "GET /fib/1 HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
  ASSERT_TRUE(p.result.complete());
  EXPECT_TRUE(p.request.keep_alive);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\n\r\n"),
            0);
}

TEST(RequestTarget, DecodesUnreservedOnly) {
  std::string scratch;
  const std::string_view plain = "/fib/10";
  EXPECT_EQ(decode_unreserved(plain, scratch).data(), plain.data());  // no copy
  EXPECT_EQ(decode_unreserved("/fib/%31%30", scratch), "/fib/10");
  EXPECT_EQ(decode_unreserved("/%66%69%62/1%30", scratch), "/fib/10");
  EXPECT_EQ(decode_unreserved("/%46%49%42/%7e%2D%2e%5F", scratch), "/FIB/~-._");
  EXPECT_EQ(decode_unreserved("/fib/1%2F0", scratch), "/fib/1%2F0");
  EXPECT_EQ(decode_unreserved("/fib/1%2f0", scratch), "/fib/1%2f0");
  EXPECT_EQ(decode_unreserved("/fib/%00", scratch), "/fib/%00");
  EXPECT_EQ(decode_unreserved("/fib/%25%33%31", scratch), "/fib/%2531");  // once only
  EXPECT_EQ(decode_unreserved("/a%20b%3F", scratch), "/a%20b%3F");
  EXPECT_EQ(decode_unreserved("/%3", scratch), "/%3");
  EXPECT_EQ(decode_unreserved("/%", scratch), "/%");
  EXPECT_EQ(decode_unreserved("%41", scratch), "A");
}

TEST(HttpParser, Limits) {
  const std::string line8 =
      "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1";  // 8192 bytes
  ASSERT_EQ(line8.size(), 8192u);
  EXPECT_EQ(status_of(line8 + "\r\nHost: a\r\n\r\n"), 0);
  EXPECT_EQ(
      status_of("GET /" + std::string(8192 - 13, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n"),
      414);
  EXPECT_EQ(status_of("GET /" + std::string(9000, 'a')), 414);  // before the line ends
  const std::string fields = "Host: a\r\nX: " + std::string(40000, 'b');
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n" + fields), 431);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n" + fields + "\r\n\r\n"), 431);
  // Exactly at the limit: accepted; one byte more: 431.
  auto head_of = [](std::size_t size) {
    std::string h = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    h += std::string(size - h.size() - 4, 'c');
    return h + "\r\n\r\n";
  };
  EXPECT_EQ(parse(head_of(1000), 100, 1000).result.status, ParseResult::Status::Complete);
  EXPECT_EQ(parse(head_of(1001), 100, 1000).result.error_status, 431);
  EXPECT_EQ(parse(head_of(1001).substr(0, 1000), 100, 1000).result.error_status, 431);
  EXPECT_EQ(parse(head_of(1000).substr(0, 999), 100, 1000).result.status,
            ParseResult::Status::Incomplete);
}

TEST(HttpParser, PipelinedHeadsOneAfterAnother) {
  const std::string two =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestParser parser(8192, 32768);
  Request r;
  auto res = parser.parse(two, r);
  ASSERT_TRUE(res.complete());
  EXPECT_EQ(r.path, "/1");
  parser.reset();
  res = parser.parse(std::string_view(two).substr(res.length), r);
  ASSERT_TRUE(res.complete());
  EXPECT_EQ(r.path, "/2");
}

}  // namespace
}  // namespace fibd::http
