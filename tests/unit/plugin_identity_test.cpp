// The identity a loaded plugin records is that of the file it read (fstat of
// the descriptor copied into memory), so a package upgrade that lands
// between the read and the record is seen by the next Reload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "plugin_host/file_identity.h"
#include "plugin_host/plugin_image.h"
#include "plugin_test_support.h"

namespace fibd::test {
namespace {

using ::testing::HasSubstr;

// Clears the hook however the test ends.
struct HookGuard {
  explicit HookGuard(std::function<void(const std::string&)> hook) {
    PluginImage::set_after_copy_hook_for_tests(std::move(hook));
  }
  ~HookGuard() { PluginImage::set_after_copy_hook_for_tests(nullptr); }
};

TEST(PluginIdentity, RecordsTheFileItLoaded) {
  TempDir dir;
  const std::string target =
      copy_to(test_plugin("versioned_v1"), dir.file("versioned.so"));
  auto cache = load(target, {}, /*trust_check=*/false);
  EXPECT_EQ(cache->file_identity(), identify_path(target));
  EXPECT_NE(cache->file_identity().ino, 0u);
}

TEST(PluginIdentity, FileReplacedBetweenReadAndRecordKeepsTheOneRead) {
  TempDir dir;
  const std::string target =
      copy_to(test_plugin("versioned_v1"), dir.file("versioned.so"));
  const FileIdentity read = identify_path(target);
  const std::string upgrade =
      copy_to(test_plugin("versioned_v2"), dir.file(".versioned.dpkg-new"));
  std::shared_ptr<PluginCache> cache;
  {
    // dpkg renames the new version over the path right after fibd read it.
    HookGuard hook([&](const std::string&) {
      ASSERT_EQ(::rename(upgrade.c_str(), target.c_str()), 0);
    });
    cache = load(target, {}, /*trust_check=*/false);
  }
  EXPECT_EQ(cache->version(), "1");  // the code that runs is the one read
  EXPECT_EQ(cache->file_identity(), read);
  // What is at the path now differs, so a Reload re-opens the plugin
  // (recording stat(path) after loading would have called it "unchanged").
  EXPECT_FALSE(identify_path(target) == cache->file_identity());
}

TEST(PluginIdentity, FileRewrittenInPlaceWhileReadIsRefused) {
  TempDir dir;
  const std::string target =
      copy_to(test_plugin("versioned_v1"), dir.file("versioned.so"));
  HookGuard hook([&](const std::string&) {
    std::ofstream(target, std::ios::binary | std::ios::app) << "more bytes";
  });
  EXPECT_THAT(load_error(target, /*trust_check=*/false),
              HasSubstr("changed while being read"));
}

}  // namespace
}  // namespace fibd::test
