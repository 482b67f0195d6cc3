// The trust check walks every directory above the plugin up to "/", like
// sshd's StrictModes. Works as root and as any other user: every directory
// here is the test's own (TempDir under $TMPDIR or /tmp, itself sticky and
// root's); only the foreign-owner case needs root to chown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_test_support.h"

namespace fibd::test {
namespace {

using ::testing::HasSubstr;

// TempDir/a/b/plugin.so, every directory 0755.
struct Tree {
  TempDir root;
  std::string a = root.file("a");
  std::string b = a + "/b";
  std::string plugin;
  Tree() {
    ::chmod(root.path().c_str(), 0755);
    ::mkdir(a.c_str(), 0755);
    ::mkdir(b.c_str(), 0755);
    plugin = copy_to(shipped_plugin("example_c"), b + "/plugin.so", 0755);
  }
};

TEST(PluginTrust, TrustedTreeLoads) {
  Tree t;
  EXPECT_EQ(load_error(t.plugin), "");
}

TEST(PluginTrust, AncestorWritableByOthersIsRefusedAndNamed) {
  Tree t;
  ::chmod(t.a.c_str(), 0757);
  EXPECT_THAT(load_error(t.plugin), HasSubstr("the directory " + t.a +
                                              " on its path is writable by group or "
                                              "others (mode 0757)"));
}

TEST(PluginTrust, AncestorWritableByGroupIsRefusedAndNamed) {
  Tree t;
  ::chmod(t.root.path().c_str(), 0775);
  EXPECT_THAT(load_error(t.plugin),
              HasSubstr("the directory " + t.root.path() + " on its path is writable"));
}

TEST(PluginTrust, StickyDirectoryNotOwnedByRootIsRefused) {
  Tree t;
  ::chmod(t.a.c_str(), 01777);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(t.a.c_str(), 12345, 12345), 0);
  }
  EXPECT_THAT(load_error(t.plugin), HasSubstr("the directory " + t.a + " on its path"));
}

TEST(PluginTrust, StickyRootOwnedAncestorIsAccepted) {
  // /tmp is one, and TempDir lives under it (or $TMPDIR); a tree under a
  // sticky root-owned directory of our own, when we are root.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own a sticky directory as root";
  Tree t;
  ::chmod(t.a.c_str(), 01777);
  EXPECT_EQ(load_error(t.plugin), "");
}

TEST(PluginTrust, ForeignOwnedAncestorIsRefusedAndNamed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Tree t;
  ASSERT_EQ(::chown(t.a.c_str(), 12345, 12345), 0);
  EXPECT_THAT(load_error(t.plugin),
              HasSubstr("the directory " + t.a + " on its path is owned by uid 12345"));
}

TEST(PluginTrust, AncestorsOfASymlinkTargetAreChecked) {
  Tree trusted, open;
  ::chmod(open.a.c_str(), 0777);
  const std::string link = trusted.b + "/link.so";
  ASSERT_EQ(::symlink(open.plugin.c_str(), link.c_str()), 0);
  EXPECT_THAT(load_error(link), HasSubstr("the directory " + open.a + " on its path"));
}

}  // namespace
}  // namespace fibd::test
