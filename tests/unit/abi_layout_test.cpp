// ABI version 2 frozen: tests/abi/layout.h pins sizes, offsets and constants
// at compile time in C++ (here) and in C99 (tests/abi/layout_c.c, linked in);
// at run time both compilers must agree.
#include <gtest/gtest.h>

#include <cstddef>

#include "../abi/layout.h"

extern "C" std::size_t fibd_abi_c_sizeof(int which);

namespace {

TEST(AbiLayout, CAndCppAgree) {
  EXPECT_EQ(fibd_abi_c_sizeof(0), sizeof(fibd_cache_descriptor));
  EXPECT_EQ(fibd_abi_c_sizeof(1), sizeof(fibd_cache_host));
  EXPECT_EQ(fibd_abi_c_sizeof(2), sizeof(fibd_cache_config));
  EXPECT_EQ(fibd_abi_c_sizeof(3), sizeof(fibd_cache_call));
  EXPECT_EQ(fibd_abi_c_sizeof(4), sizeof(fibd_cache_completion));
  EXPECT_EQ(fibd_abi_c_sizeof(5), offsetof(fibd_cache_descriptor, cancel));
  EXPECT_EQ(fibd_abi_c_sizeof(-1), static_cast<std::size_t>(FIBD_ABI_LAYOUT_PINNED));
}

TEST(AbiLayout, StatusIsAFixedWidthInteger) {
  static_assert(std::is_same_v<fibd_cache_status, std::uint32_t>);
  static_assert(std::is_same_v<fibd_cache_log_level, std::uint32_t>);
  // No enum crosses the boundary: an out-of-range status is just a number.
  fibd_cache_status s = 42;
  EXPECT_EQ(s, 42u);
}

}  // namespace
