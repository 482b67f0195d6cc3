// Serialises a response head (status line and fields) without printf: the
// status line and reason come from a table, numbers are formatted by hand,
// and the Date value is the loop's cached one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/response.h"

namespace fibd::http {

// The reason phrase of a status fibd sends ("Unknown" for others).
std::string_view reason_phrase(int status);

// Writes v in decimal ending just before `end`; returns where it starts.
char* format_decimal_backwards(char* end, std::uint64_t v);

struct HeadOptions {
  std::string_view date;  // IMF-fixdate
  bool keep_alive = true;
  bool http10 = false;  // the request was HTTP/1.0 (keep-alive must be said)
};

// Appends the head of `r` (ending with the empty line) to `out`. `out` keeps
// its capacity between responses, so this allocates only when a head is
// larger than any before it on this loop.
void append_head(std::string& out, const Response& r, const HeadOptions& options);

}  // namespace fibd::http
