// validate_descriptor() is pure: these tests build descriptors in memory.
// Then the layout hints of descriptor_layout.h.
#include "plugin_host/descriptor_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "plugin_host/descriptor_layout.h"

#include "plugin_host/descriptor_layout.h"

namespace fibd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

fibd_cache_instance* create_fn(const fibd_cache_host*, const fibd_cache_config*, char*,
                               size_t) {
  return nullptr;
}
void destroy_fn(fibd_cache_instance*) {}
fibd_cache_status get_fn(fibd_cache_instance*, const fibd_cache_call*, const void*,
                         size_t, const fibd_cache_sink*, char*, size_t) {
  return FIBD_CACHE_NOT_FOUND;
}
fibd_cache_status set_fn(fibd_cache_instance*, const fibd_cache_call*, const void*,
                         size_t, const void*, size_t, uint64_t, char*, size_t) {
  return FIBD_CACHE_OK;
}
void cancel_fn(fibd_cache_instance*, uint64_t) {}
fibd_cache_status del_fn(fibd_cache_instance*, const fibd_cache_call*, const void*,
                         size_t, char*, size_t) {
  return FIBD_CACHE_OK;
}
fibd_cache_status clear_fn(fibd_cache_instance*, const fibd_cache_call*, char*, size_t) {
  return FIBD_CACHE_OK;
}
fibd_cache_status stats_fn(fibd_cache_instance*, const fibd_cache_stats_sink*, char*,
                           size_t) {
  return FIBD_CACHE_OK;
}

fibd_cache_descriptor good() {
  fibd_cache_descriptor d{};
  d.abi_version = FIBD_CACHE_ABI_VERSION;
  d.struct_size = sizeof(fibd_cache_descriptor);
  d.name = "good-name_1";
  d.version = "1.2.3~rc1+deb12";
  d.description = "A fine plugin";
  d.capabilities = FIBD_CACHE_CAP_THREAD_SAFE;
  d.create = create_fn;
  d.destroy = destroy_fn;
  d.get = get_fn;
  d.set = set_fn;
  d.del = del_fn;
  d.clear = clear_fn;
  d.stats = stats_fn;
  return d;
}

std::string error_of(const fibd_cache_descriptor& d) {
  return validate_descriptor(&d).value_or("OK");
}

TEST(DescriptorCheck, AcceptsGoodDescriptor) {
  auto d = good();
  EXPECT_EQ(error_of(d), "OK");
  d.description = nullptr;
  d.del = nullptr;
  d.clear = nullptr;
  d.stats = nullptr;
  EXPECT_EQ(error_of(d), "OK");
}

TEST(DescriptorCheck, Null) {
  EXPECT_THAT(validate_descriptor(nullptr).value_or("OK"), HasSubstr("NULL descriptor"));
}

TEST(DescriptorCheck, AbiMismatchNamesBoth) {
  auto d = good();
  d.abi_version = 7;
  EXPECT_EQ(
      validate_descriptor(&d, 3).value_or("OK"),
      "it was built for cache plugin ABI version 7, but this fibd speaks ABI version 3");
  // Checked before anything else: the rest may be laid out differently.
  d.struct_size = 0;
  d.name = nullptr;
  EXPECT_THAT(validate_descriptor(&d).value_or("OK"), HasSubstr("ABI version 7"));
}

TEST(DescriptorCheck, VersionOnePluginIsToldToRebuild) {
  auto d = good();
  d.abi_version = 1;
  EXPECT_EQ(
      error_of(d),
      "it was built for cache plugin ABI version 1, but this fibd speaks ABI version "
      "2 (rebuild it against <fibd/cache_plugin.h> of ABI version 2)");
}

TEST(DescriptorCheck, UnknownRequiredFeaturesAreRefused) {
  auto d = good();
  d.required_features = (std::uint64_t{1} << 63) | (std::uint64_t{1} << 40);
  EXPECT_THAT(error_of(d), HasSubstr("requires features this fibd does not know (bits "
                                     "0x8000010000000000 of required_features)"));
  // Unknown compatible bits are ignored.
  d = good();
  d.capabilities |= std::uint64_t{1} << 50;
  EXPECT_EQ(error_of(d), "OK");
}

TEST(DescriptorCheck, AsyncNeedsCancel) {
  auto d = good();
  d.required_features = FIBD_CACHE_FEATURE_ASYNC;
  EXPECT_EQ(error_of(d), "it requires FIBD_CACHE_FEATURE_ASYNC but offers no cancel()");
  d.cancel = cancel_fn;
  EXPECT_EQ(error_of(d), "OK");
  EXPECT_TRUE(copy_descriptor(d).async());
  EXPECT_EQ(copy_descriptor(d).cancel, &cancel_fn);
}

// A synchronous plugin has no cancel(): one in that slot is del, shifted by
// a positional initializer written in ABI 1's order.
TEST(DescriptorCheck, CancelWithoutAsyncIsRefused) {
  fibd_cache_descriptor d = good();
  d.cancel = cancel_fn;
  EXPECT_EQ(error_of(d),
            "it sets cancel() but does not require FIBD_CACHE_FEATURE_ASYNC (cancel is "
            "for asynchronous plugins only)");
}

TEST(DescriptorCheck, NonBlockingWithoutThreadSafeIsRefused) {
  auto d = good();
  d.capabilities = FIBD_CACHE_CAP_NON_BLOCKING;
  EXPECT_THAT(error_of(d), HasSubstr("a non-blocking plugin must be thread-safe"));
  d.capabilities |= FIBD_CACHE_CAP_THREAD_SAFE;
  EXPECT_EQ(error_of(d), "OK");
}

TEST(DescriptorCheck, StructSizeTooSmall) {
  auto d = good();
  d.struct_size = kMinDescriptorSize - 1;
  EXPECT_THAT(error_of(d),
              HasSubstr("struct_size is " + std::to_string(kMinDescriptorSize - 1)));
  d.struct_size = kMinDescriptorSize;
  EXPECT_EQ(error_of(d), "OK");
  d.struct_size = 100000;  // a newer plugin with appended fields
  EXPECT_EQ(error_of(d), "OK");
}

TEST(DescriptorCheck, MissingEntryPointsAreAllNamed) {
  auto d = good();
  d.get = nullptr;
  EXPECT_EQ(error_of(d), "its descriptor lacks required entry points: get");
  d.create = nullptr;
  d.set = nullptr;
  EXPECT_EQ(error_of(d), "its descriptor lacks required entry points: create, get, set");
  d = good();
  d.destroy = nullptr;
  EXPECT_THAT(error_of(d), HasSubstr("destroy"));
}

TEST(DescriptorCheck, Names) {
  auto d = good();
  for (const char* bad : {"", "Memory", "mem ory", "mém", "a/b", "a.b"}) {
    d.name = bad;
    EXPECT_NE(error_of(d), "OK") << bad;
  }
  d.name = nullptr;
  EXPECT_THAT(error_of(d), HasSubstr("name is NULL"));
  std::string longest(kMaxPluginNameLen, 'a');
  d.name = longest.c_str();
  EXPECT_EQ(error_of(d), "OK");
  std::string too_long(kMaxPluginNameLen + 1, 'a');
  d.name = too_long.c_str();
  EXPECT_THAT(error_of(d), HasSubstr("longer than 64"));
  d.name = "Bad\nName";
  EXPECT_THAT(error_of(d),
              HasSubstr("\"Bad\\x0aName\" has characters outside [a-z0-9_-]"));
}

TEST(DescriptorCheck, Versions) {
  auto d = good();
  for (const char* bad : {"", "1.0 beta", "1.0\t", "v\x7f"}) {
    d.version = bad;
    EXPECT_NE(error_of(d), "OK") << bad;
  }
  d.version = nullptr;
  EXPECT_THAT(error_of(d), HasSubstr("version is NULL"));
  std::string too_long(kMaxPluginVersionLen + 1, '1');
  d.version = too_long.c_str();
  EXPECT_THAT(error_of(d), HasSubstr("version is longer than"));
}

TEST(DescriptorCheck, Descriptions) {
  auto d = good();
  d.description = "";
  EXPECT_EQ(error_of(d), "OK");
  d.description = "UTF-8 is fine: déjà vu";
  EXPECT_EQ(error_of(d), "OK");
  d.description = "two\nlines";
  EXPECT_THAT(error_of(d), HasSubstr("control characters"));
  std::string too_long(kMaxPluginDescriptionLen + 1, 'x');
  d.description = too_long.c_str();
  EXPECT_THAT(error_of(d), HasSubstr("description is longer than"));
}

TEST(DescriptorCheck, ReadsNoFurtherThanLimits) {
  // A name without a terminator: only max+1 bytes may be read.
  char unterminated[kMaxPluginNameLen + 1];
  std::memset(unterminated, 'a', sizeof unterminated);
  auto d = good();
  d.name = unterminated;
  EXPECT_THAT(error_of(d), HasSubstr("longer than"));
}

TEST(DescriptorCheck, CopyOwnsStringsAndHonoursStructSize) {
  char name[] = "copied";
  auto d = good();
  d.name = name;
  ASSERT_EQ(error_of(d), "OK");
  PluginDescriptor copy = copy_descriptor(d);
  name[0] = 'X';
  EXPECT_EQ(copy.name, "copied");
  EXPECT_EQ(copy.version, "1.2.3~rc1+deb12");
  EXPECT_EQ(copy.description, "A fine plugin");
  EXPECT_TRUE(copy.thread_safe());
  EXPECT_FALSE(copy.non_blocking());
  EXPECT_EQ(copy.get, &get_fn);
  EXPECT_EQ(copy.del, &del_fn);
  EXPECT_EQ(copy.stats, &stats_fn);

  // Optional fields past struct_size are never read.
  d.struct_size = kMinDescriptorSize;
  PluginDescriptor old = copy_descriptor(d);
  EXPECT_EQ(old.del, nullptr);
  EXPECT_EQ(old.clear, nullptr);
  EXPECT_EQ(old.stats, nullptr);
  EXPECT_EQ(old.set, &set_fn);
}

TEST(DescriptorCheck, DescribesCapabilities) {
  EXPECT_EQ(describe_capabilities(0), "none");
  EXPECT_EQ(
      describe_capabilities(FIBD_CACHE_CAP_THREAD_SAFE | FIBD_CACHE_CAP_NON_BLOCKING),
      "thread-safe, non-blocking");
  EXPECT_EQ(describe_capabilities(FIBD_CACHE_CAP_NON_BLOCKING | (1u << 20)),
            "non-blocking");
  EXPECT_EQ(describe_capabilities(FIBD_CACHE_CAP_THREAD_SAFE, FIBD_CACHE_FEATURE_ASYNC),
            "thread-safe, async");
}

// The signs of a descriptor filled in for another field layout
// (descriptor_layout.h), and that the loader's refusal carries them.

// One function in another slot's type, as a shifted initializer puts it.
template <class To, class From>
To as(From f) {
  return reinterpret_cast<To>(reinterpret_cast<void (*)()>(f));
}

// Static, like a plugin's descriptor: in the same object as the functions.
fibd_cache_descriptor g_descriptor;
const fibd_cache_descriptor* g_returned = nullptr;
const fibd_cache_descriptor* factory() { return g_returned; }

fibd_cache_descriptor& fresh() {
  g_descriptor = good();
  g_descriptor.del = nullptr;
  g_descriptor.clear = nullptr;
  g_descriptor.stats = nullptr;
  return g_descriptor;
}

TEST(DescriptorLayout, RightLayoutHasNoHints) {
  fibd_cache_descriptor& d = fresh();
  d.del = del_fn;
  EXPECT_THAT(layout_hints(d), IsEmpty());
  EXPECT_THAT(shared_entry_points(d), IsEmpty());
  EXPECT_EQ(layout_advice(d), "");
}

TEST(DescriptorLayout, Abi1SizeIsNamed) {
  fibd_cache_descriptor& d = fresh();
  d.struct_size = kAbi1DescriptorSize;
  EXPECT_THAT(
      layout_hints(d),
      ElementsAre(HasSubstr("struct_size 96 is an ABI 1 descriptor's (ABI 2: 112)")));
  d.struct_size = 104;
  EXPECT_THAT(layout_hints(d), ElementsAre(HasSubstr("smaller than ABI 2's 112")));
}

TEST(DescriptorLayout, AnAddressInRequiredFeaturesMeansShifted) {
  fibd_cache_descriptor& d = fresh();
  d.required_features = reinterpret_cast<std::uintptr_t>(&create_fn);
  d.cancel = as<decltype(d.cancel)>(&del_fn);
  // One hint: the cancel one would name the wrong cause.
  EXPECT_THAT(layout_hints(d), ElementsAre(HasSubstr("is an address in the plugin")));
  // Feature bits that are no address are only unknown bits.
  d.required_features = std::uint64_t{1} << 63;
  d.cancel = nullptr;
  EXPECT_THAT(layout_hints(d), IsEmpty());
}

TEST(DescriptorLayout, CancelInASynchronousPluginMeansShifted) {
  fibd_cache_descriptor& d = fresh();
  d.cancel = as<decltype(d.cancel)>(&del_fn);
  EXPECT_THAT(layout_hints(d),
              ElementsAre(HasSubstr("are del, clear and stats shifted by one")));
  d.required_features = FIBD_CACHE_FEATURE_ASYNC;
  EXPECT_THAT(layout_hints(d), IsEmpty());
}

TEST(DescriptorLayout, SharedEntryPointsAreNamedInPairs) {
  fibd_cache_descriptor& d = fresh();
  d.del = del_fn;
  d.clear = as<decltype(d.clear)>(&del_fn);
  d.stats = as<decltype(d.stats)>(&del_fn);
  EXPECT_THAT(shared_entry_points(d),
              ElementsAre("del and clear", "del and stats", "clear and stats"));
  // Beyond struct_size nothing is read.
  d.struct_size = offsetof(fibd_cache_descriptor, clear);
  EXPECT_THAT(shared_entry_points(d), IsEmpty());
}

TEST(DescriptorLayout, TheLoadersRefusalCarriesTheHint) {
  fibd_cache_descriptor& d = fresh();
  // required_features left out of a positional initializer.
  d.required_features = reinterpret_cast<std::uintptr_t>(&create_fn);
  d.create = as<decltype(d.create)>(&destroy_fn);
  d.destroy = as<decltype(d.destroy)>(&get_fn);
  d.get = as<decltype(d.get)>(&set_fn);
  d.set = nullptr;
  g_returned = &d;
  std::string why;
  EXPECT_FALSE(read_descriptor(&factory, "factory", why));
  EXPECT_THAT(why,
              HasSubstr("lacks required entry points: set. Hint: required_features"));
  EXPECT_THAT(why, HasSubstr("Use designated initializers (.get = my_get)."));
  // Another ABI version: nothing past abi_version is read, so no hint.
  d.abi_version = 1;
  EXPECT_FALSE(read_descriptor(&factory, "factory", why));
  EXPECT_THAT(why, Not(HasSubstr("Hint")));
}

}  // namespace
}  // namespace fibd
