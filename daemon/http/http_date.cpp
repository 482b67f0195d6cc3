#include "http/http_date.h"

namespace fibd::http {

namespace {

char* two_digits(char* p, int v) {
  *p++ = static_cast<char>('0' + v / 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

char* copy(char* p, const char* s, int n) {
  for (int i = 0; i < n; ++i) *p++ = s[i];
  return p;
}

}  // namespace

void HttpDate::format(std::time_t now) {
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  gmtime_r(&now, &tm);
  char* p = text_;
  p = copy(p, kDays + 3 * tm.tm_wday, 3);
  p = copy(p, ", ", 2);
  p = two_digits(p, tm.tm_mday);
  *p++ = ' ';
  p = copy(p, kMonths + 3 * tm.tm_mon, 3);
  *p++ = ' ';
  const int year = tm.tm_year + 1900;
  p = two_digits(p, year / 100 % 100);
  p = two_digits(p, year % 100);
  *p++ = ' ';
  p = two_digits(p, tm.tm_hour);
  *p++ = ':';
  p = two_digits(p, tm.tm_min);
  *p++ = ':';
  p = two_digits(p, tm.tm_sec);
  copy(p, " GMT", 4);
  formatted_ = now;
}

}  // namespace fibd::http
