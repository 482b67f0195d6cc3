// fibd_cache_option_at(): option i at any option_size, NULL where there is
// none; and the host's options (OptionArray) really are that far apart.
#include <fibd/cache_plugin.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "plugin_host/call_buffers.h"

namespace fibd {
namespace {

// Options as a newer host might lay them out: larger than ours.
struct WideOption {
  fibd_cache_option o;
  std::uint64_t added_later[3];
};

TEST(OptionAccess, ReadsAtTheHostsStride) {
  WideOption wide[2] = {{{sizeof(WideOption), 0, "a", "1"}, {}},
                        {{sizeof(WideOption), 0, "b", "2"}, {}}};
  fibd_cache_config c{};
  c.struct_size = sizeof c;
  c.option_size = sizeof(WideOption);
  c.options = &wide[0].o;
  c.option_count = 2;
  ASSERT_NE(fibd_cache_option_at(&c, 1), nullptr);
  EXPECT_STREQ(fibd_cache_option_at(&c, 0)->key, "a");
  EXPECT_STREQ(fibd_cache_option_at(&c, 1)->key, "b");
  EXPECT_STREQ(fibd_cache_option_at(&c, 1)->value, "2");
}

TEST(OptionAccess, NullWhereThereIsNoOption) {
  fibd_cache_option one{sizeof one, 0, "a", "1"};
  fibd_cache_config c{};
  c.struct_size = sizeof c;
  c.option_size = sizeof one;
  c.options = &one;
  c.option_count = 1;
  EXPECT_EQ(fibd_cache_option_at(&c, 1), nullptr);
  EXPECT_EQ(fibd_cache_option_at(nullptr, 0), nullptr);
  c.option_size = sizeof one - 1;  // smaller than any option
  EXPECT_EQ(fibd_cache_option_at(&c, 0), nullptr);
  c.option_size = sizeof one;
  c.options = nullptr;
  EXPECT_EQ(fibd_cache_option_at(&c, 0), nullptr);
}

TEST(OptionAccess, HostOptionsAreStrideApartWithPoisonBetween) {
  const std::vector<std::pair<std::string, std::string>> options = {{"a", "1"},
                                                                    {"b", "2"}};
  detail::OptionArray wide(options, 2 * sizeof(fibd_cache_option));
  fibd_cache_config c{};
  c.struct_size = sizeof c;
  c.option_size = wide.stride();
  c.options = wide.first();
  c.option_count = options.size();
  EXPECT_EQ(c.option_size, 2 * sizeof(fibd_cache_option));
  EXPECT_STREQ(fibd_cache_option_at(&c, 1)->key, "b");
  EXPECT_EQ(fibd_cache_option_at(&c, 1)->struct_size, sizeof(fibd_cache_option));
  // What options[1] would read: the poison, not option b.
  std::uint32_t poisoned;
  std::memcpy(&poisoned, &c.options[1].struct_size, sizeof poisoned);
  EXPECT_EQ(poisoned, 0xa5a5a5a5u);
  // A stride is rounded up to the options' alignment, and never below their size.
  EXPECT_EQ(detail::OptionArray(options, sizeof(fibd_cache_option) + 1).stride() %
                alignof(fibd_cache_option),
            0u);
  EXPECT_EQ(detail::OptionArray(options, 1).stride(), sizeof(fibd_cache_option));
  EXPECT_EQ(detail::OptionArray({}, 48).first(), nullptr);
}

}  // namespace
}  // namespace fibd
