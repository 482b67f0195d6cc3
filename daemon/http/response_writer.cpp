#include "http/response_writer.h"

namespace fibd::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

char* format_decimal_backwards(char* end, std::uint64_t v) {
  do {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ", 2).append(value).append("\r\n", 2);
}

}  // namespace

void append_head(std::string& out, const Response& r, const HeadOptions& options) {
  // The status code is three digits (RFC 9110 15): formatted from the int.
  const int code = r.status >= 100 && r.status <= 999 ? r.status : 500;
  char status[4] = {static_cast<char>('0' + code / 100),
                    static_cast<char>('0' + code / 10 % 10),
                    static_cast<char>('0' + code % 10), ' '};
  out.append("HTTP/1.1 ", 9)
      .append(status, 4)
      .append(reason_phrase(code))
      .append("\r\n", 2);
  append_field(out, "Date", options.date);
  if (!r.content_type.empty()) append_field(out, "Content-Type", r.content_type);
  char digits[20];
  char* const end = digits + sizeof digits;
  const char* begin = format_decimal_backwards(end, r.content_length());
  append_field(out, "Content-Length", std::string_view(begin, end - begin));
  for (const Header& h : r.headers) append_field(out, h.name, h.value);
  if (!options.keep_alive) {
    append_field(out, "Connection", "close");
  } else if (options.http10) {
    append_field(out, "Connection", "keep-alive");
  }
  out.append("\r\n", 2);
}

}  // namespace fibd::http
