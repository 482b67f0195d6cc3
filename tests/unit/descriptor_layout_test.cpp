// The signs of a descriptor filled in for another field layout
// (descriptor_layout.h), and that the loader's refusal carries them.
#include "plugin_host/descriptor_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "plugin_host/descriptor_check.h"

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
fibd_cache_status del_fn(fibd_cache_instance*, const fibd_cache_call*, const void*,
                         size_t, char*, size_t) {
  return FIBD_CACHE_OK;
}

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
  g_descriptor = fibd_cache_descriptor{};
  g_descriptor.abi_version = FIBD_CACHE_ABI_VERSION;
  g_descriptor.struct_size = sizeof(fibd_cache_descriptor);
  g_descriptor.name = "layout";
  g_descriptor.version = "1";
  g_descriptor.create = create_fn;
  g_descriptor.destroy = destroy_fn;
  g_descriptor.get = get_fn;
  g_descriptor.set = set_fn;
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
