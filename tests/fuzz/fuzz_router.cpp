// The request router, the n parser and the message sanitizer: every byte
// string a client can put in a request-target.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/router.h"
#include "base/escape.h"
#include "compute/cache_key.h"
#include "fuzz_check.h"

using namespace fibd;

namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void check_sanitized(std::string_view in, std::size_t max) {
  const std::string out = escape_untrusted(in, max);
  // Each input byte becomes at most 4 output bytes, plus "..." when cut.
  FUZZ_CHECK(out.size() <= 4 * max + 3, "%zu bytes from max %zu", out.size(), max);
  const bool cut = in.size() > max;
  std::string_view body = out;
  if (cut) {
    FUZZ_CHECK(body.ends_with("..."), "cut without \"...\"");
    body.remove_suffix(3);
  }
  // Safe in a log line and inside a JSON string: printable ASCII, no quote,
  // a backslash only as the start of a \xHH escape; and it decodes back to
  // exactly the (possibly cut) input.
  std::string decoded;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    FUZZ_CHECK(c >= 0x20 && c < 0x7f && c != '"', "byte 0x%02x at %zu", c, i);
    if (c != '\\') {
      decoded.push_back(static_cast<char>(c));
      continue;
    }
    FUZZ_CHECK(i + 3 < body.size() && body[i + 1] == 'x' && hex_value(body[i + 2]) >= 0 &&
                   hex_value(body[i + 3]) >= 0,
               "bad escape at %zu", i);
    decoded.push_back(
        static_cast<char>(hex_value(body[i + 2]) * 16 + hex_value(body[i + 3])));
    i += 3;
  }
  FUZZ_CHECK(decoded == in.substr(0, max), "does not decode to the input");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view uri(reinterpret_cast<const char*>(data), size);
  const Route r = route(uri);
  if (r.endpoint == Endpoint::Fib) {
    // n_text is a view into the path, before any query or fragment.
    FUZZ_CHECK(r.n_text.data() >= uri.data() &&
                   r.n_text.data() + r.n_text.size() <= uri.data() + uri.size(),
               "n_text outside the input");
    FUZZ_CHECK(r.n_text.find_first_of("?#") == std::string_view::npos, "query in n");
    for (std::uint64_t max_n :
         {std::uint64_t{0}, std::uint64_t{92}, std::uint64_t{1000000}, UINT64_MAX}) {
      std::uint64_t n = 0xdeadbeef;
      switch (parse_n(r.n_text, max_n, n)) {
        case ParseN::Ok: {
          FUZZ_CHECK(!r.n_text.empty() && all_digits(r.n_text), "accepted a non-number");
          FUZZ_CHECK(n <= max_n, "n %llu over max_n %llu", (unsigned long long)n,
                     (unsigned long long)max_n);
          // The cache key is the canonical form: no leading zeros.
          std::string_view t = r.n_text;
          while (t.size() > 1 && t.front() == '0') t.remove_prefix(1);
          FUZZ_CHECK(cache_key(n) == t, "key %s for %.*s", cache_key(n).c_str(),
                     (int)r.n_text.size(), r.n_text.data());
          break;
        }
        case ParseN::TooLarge:
          FUZZ_CHECK(!r.n_text.empty() && all_digits(r.n_text),
                     "TooLarge for a non-number");
          FUZZ_CHECK(n == 0xdeadbeef, "n written although refused");
          break;
        case ParseN::Invalid:
          FUZZ_CHECK(r.n_text.empty() || !all_digits(r.n_text), "refused plain digits");
          FUZZ_CHECK(n == 0xdeadbeef, "n written although refused");
          break;
      }
    }
  } else {
    FUZZ_CHECK(r.n_text.empty(), "n_text for a non-fib endpoint");
  }
  for (std::size_t max :
       {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{256}}) {
    check_sanitized(uri, max);
  }
  return 0;
}
