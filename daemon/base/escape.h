// The one way fibd shows untrusted bytes (request text, plugin messages and
// names, cache values) in logs and error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fibd {

// At most `max` bytes of `text`: printable ASCII stays, except '"' and '\',
// which, like every other byte, become \xHH; "..." marks a cut. The result
// is one line, safe inside quotes, and decodes back to the bytes shown.
std::string escape_untrusted(std::string_view text, std::size_t max = 64);

// The same for a C string that may be NULL ("(null)") or unterminated within
// `max` bytes (never reads past max + 1 bytes).
std::string escape_untrusted(const char* text, std::size_t max);

}  // namespace fibd
