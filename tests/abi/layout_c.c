/* The layout pins compiled by a C99 compiler; the C++ side is
 * tests/unit/abi_layout_test.cpp, which also compares these sizes with its
 * own at run time. */
#include "layout.h"

size_t fibd_abi_c_sizeof(int which) {
  switch (which) {
    case 0:
      return sizeof(fibd_cache_descriptor);
    case 1:
      return sizeof(fibd_cache_host);
    case 2:
      return sizeof(fibd_cache_config);
    case 3:
      return sizeof(fibd_cache_call);
    case 4:
      return sizeof(fibd_cache_completion);
    case 5:
      return offsetof(fibd_cache_descriptor, cancel);
    default:
      return FIBD_ABI_LAYOUT_PINNED;
  }
}
