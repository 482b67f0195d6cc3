#include "base/escape.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace fibd {
namespace {

TEST(EscapeUntrusted, KeepsPrintableAsciiAndEscapesTheRest) {
  EXPECT_EQ(escape_untrusted("abc"), "abc");
  EXPECT_EQ(escape_untrusted("a\"b\\c\n"), "a\\x22b\\x5cc\\x0a");
  EXPECT_EQ(escape_untrusted(std::string_view("\0x", 2)), "\\x00x");
  EXPECT_EQ(escape_untrusted("a\nb\rc\x01\x7f"), "a\\x0ab\\x0dc\\x01\\x7f");
  EXPECT_EQ(escape_untrusted("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(EscapeUntrusted, CutsAtTheLimit) {
  const std::string long_text(1000, 'z');
  EXPECT_EQ(escape_untrusted(long_text, 64), std::string(64, 'z') + "...");
  EXPECT_EQ(escape_untrusted("abcdef", 3), "abc...");
}

TEST(EscapeUntrusted, CStringsMayBeNullOrUnterminatedWithinTheLimit) {
  EXPECT_EQ(escape_untrusted(static_cast<const char*>(nullptr), 8), "(null)");
  const char unterminated[4] = {'a', 'b', 'c', 'd'};
  EXPECT_EQ(escape_untrusted(unterminated, 3), "abc...");
}

}  // namespace
}  // namespace fibd
