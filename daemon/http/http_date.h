// The Date field value (IMF-fixdate, RFC 9110 5.6.7), formatted at most once
// per second: each loop keeps one and asks it with the loop's cached time.
#pragma once

#include <ctime>
#include <string_view>

namespace fibd::http {

class HttpDate {
 public:
  // "Sun, 06 Nov 1994 08:49:37 GMT" for `now` (seconds since the epoch).
  std::string_view at(std::time_t now) {
    if (now != formatted_) format(now);
    return {text_, sizeof text_};
  }

 private:
  void format(std::time_t now);

  std::time_t formatted_ = -1;
  char text_[29] = {};
};

}  // namespace fibd::http
