// The response writer and the cached Date.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "http/http_date.h"
#include "http/response_writer.h"

namespace fibd::http {
namespace {

TEST(HttpDate, FormatsImfFixdate) {
  HttpDate date;
  EXPECT_EQ(date.at(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(date.at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(date.at(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(HttpWriter, DecimalFormatting) {
  for (std::uint64_t v :
       {0ull, 7ull, 10ull, 99ull, 1234567890ull, 18446744073709551615ull}) {
    char buf[20];
    char* begin = format_decimal_backwards(buf + sizeof buf, v);
    EXPECT_EQ(std::string(begin, buf + sizeof buf), std::to_string(v));
  }
}

TEST(HttpWriter, HeadWithFields) {
  const Header extra[] = {{"X-Cache", "hit"}};
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.headers = extra;
  r.prefix = "{\"result\":";
  r.body = "55";
  r.suffix = "}";
  std::string out;
  append_head(out, r, HeadOptions{"Sun, 06 Nov 1994 08:49:37 GMT", true, false});
  EXPECT_EQ(
      out,
      "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
      "Content-Type: application/json\r\nContent-Length: 13\r\nX-Cache: hit\r\n\r\n");
}

TEST(HttpWriter, ConnectionField) {
  Response r;
  r.status = 404;
  std::string out;
  append_head(out, r, HeadOptions{"D", false, false});
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nDate: D\r\nContent-Length: 0\r\nConnection: "
            "close\r\n\r\n");
  out.clear();
  append_head(out, r, HeadOptions{"D", true, true});  // HTTP/1.0 keep-alive is said
  EXPECT_NE(out.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  out.clear();
  append_head(out, r, HeadOptions{"D", true, false});
  EXPECT_EQ(out.find("Connection"), std::string::npos);
}

TEST(HttpWriter, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  std::string out;
  Response r;
  r.status = 5;  // never a valid status line
  append_head(out, r, HeadOptions{"D", true, false});
  EXPECT_EQ(out.rfind("HTTP/1.1 500 ", 0), 0u);
}

TEST(HttpWriter, KeepsCapacityAcrossResponses) {
  std::string out;
  out.reserve(4096);
  const char* before = out.data();
  Response r;
  for (int i = 0; i < 100; ++i) {
    out.clear();
    append_head(out, r, HeadOptions{"Sun, 06 Nov 1994 08:49:37 GMT", true, false});
  }
  EXPECT_EQ(out.data(), before);  // no reallocation
}

}  // namespace
}  // namespace fibd::http
