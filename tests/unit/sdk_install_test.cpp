// The SDK as plugin authors get it: install the fibd-dev component into a
// temporary root, then build plugins out of tree with
//   cc -shared -fPIC $(pkg-config --cflags fibd-plugin) -o x.so x.c
// and load them with the daemon's loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "plugin_test_support.h"

namespace fibd {
namespace {

using test::run_command;
using test::shell_quote;
using test::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class SdkInstall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    root_ = dir_->file("root");
    // DESTDIR keeps even absolute destinations inside the temporary root.
    auto r =
        run_command("DESTDIR=" + shell_quote(root_) + " cmake --install " +
                    shell_quote(FIBD_BUILD_DIR) + " --component fibd-dev --prefix /usr");
    install_output_ = r.output;
    install_ok_ = r.exit_code == 0;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.path().filename() == "fibd-plugin.pc")
        pc_dir_ = entry.path().parent_path();
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(install_ok_) << install_output_;
    ASSERT_FALSE(pc_dir_.empty()) << "fibd-plugin.pc not installed";
  }

  static std::string pkg_config(const std::string& args) {
    auto r = run_command("PKG_CONFIG_PATH=" + shell_quote(pc_dir_.string()) +
                         " pkg-config " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == ' ')) {
      r.output.pop_back();
    }
    return r.output;
  }

  static std::string build(const std::string& compiler, const std::string& flags,
                           const std::string& source, const std::string& output) {
    auto r = run_command(compiler + " " + flags + " -shared -fPIC " +
                         pkg_config("--cflags fibd-plugin") + " -o " +
                         shell_quote(output) + " " + shell_quote(source));
    return r.exit_code == 0 ? "" : r.output;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string root_;
  static inline fs::path pc_dir_;
  static inline std::string install_output_;
  static inline bool install_ok_ = false;
};

TEST_F(SdkInstall, InstallsHeadersPkgConfigExampleAndChecker) {
  EXPECT_TRUE(fs::exists(root_ + "/usr/include/fibd/cache_plugin.h"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/include/fibd/cache_plugin.hpp"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/include/fibd/cache_plugin_adapter.hpp"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/include/fibd/grammar.hpp"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/share/doc/fibd-dev/examples/example_c.c"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/bin/fibd-plugin-check"));
  EXPECT_EQ(pkg_config("--modversion fibd-plugin"), FIBD_VERSION);
  EXPECT_EQ(pkg_config("--variable=abi_version fibd-plugin"),
            std::to_string(FIBD_CACHE_ABI_VERSION));
  std::string cflags = pkg_config("--cflags fibd-plugin");
  EXPECT_THAT(cflags, HasSubstr("-fno-gnu-unique"));
  std::string include = pkg_config("--cflags-only-I fibd-plugin");
  ASSERT_THAT(include, HasSubstr("-I"));
  EXPECT_TRUE(fs::equivalent(include.substr(2), root_ + "/usr/include")) << include;
}

TEST_F(SdkInstall, BuildsTheInstalledCExampleOutOfTree) {
  std::string so = dir_->file("example_out_of_tree.so");
  ASSERT_EQ(build("cc", "-std=c99 -Wall -Wextra -Werror -pedantic",
                  root_ + "/usr/share/doc/fibd-dev/examples/example_c.c", so),
            "");
  auto cache = test::load(so);
  EXPECT_EQ(cache->name(), "example_c");
  std::string value, error;
  ASSERT_TRUE(cache->set("k", std::string("\0v", 2), std::chrono::seconds(5), error))
      << error;
  ASSERT_EQ(cache->get("k", value, error), CacheOutcome::Hit) << error;
  EXPECT_EQ(value, std::string("\0v", 2));
}

TEST_F(SdkInstall, BuildsACppPluginWithTheHelperHeader) {
  std::string src = dir_->file("mine.cpp");
  test::write_file(src, R"(
#include <fibd/cache_plugin.hpp>
#include <map>
#include <mutex>
#include <string>
class Mine {
 public:
  Mine(const fibd::plugin::Host& host, const fibd::plugin::Config& config) {
    config.reject_unknown({});
    host.info("mine ready");
  }
  fibd::plugin::Lookup get(std::string_view key, fibd::plugin::Value& out) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return fibd::plugin::Lookup::not_found;
    out.put(it->second);
    return fibd::plugin::Lookup::hit;
  }
  void set(std::string_view key, std::string_view value, std::chrono::milliseconds) {
    std::lock_guard<std::mutex> lock(mu_);
    map_[std::string(key)] = std::string(value);
  }
 private:
  std::mutex mu_;
  std::map<std::string, std::string> map_;
};
FIBD_CACHE_PLUGIN(Mine, "mine", "0.1", nullptr, FIBD_CACHE_CAP_THREAD_SAFE)
)");
  std::string so = dir_->file("mine.so");
  ASSERT_EQ(build("c++", "-std=c++17 -Wall -Wextra -Werror -fvisibility=hidden", src, so),
            "");
  auto cache = test::load(so);
  EXPECT_EQ(cache->name(), "mine");
  std::string value, error;
  ASSERT_TRUE(cache->set("k", "v", std::chrono::seconds(5), error)) << error;
  ASSERT_EQ(cache->get("k", value, error), CacheOutcome::Hit) << error;
  EXPECT_EQ(value, "v");
}

TEST_F(SdkInstall, BuildsAnAsyncCppPluginAsStrictCpp17) {
  // The async style of the helper (get_async/set_async/cancel), out of tree.
  std::string so = dir_->file("async.so");
  ASSERT_EQ(build("c++", "-std=c++17 -Wall -Wextra -Werror -pedantic -fvisibility=hidden",
                  std::string(FIBD_SOURCE_DIR) + "/tests/plugins/async_cache.cpp", so),
            "");
  auto cache = test::load(so);
  EXPECT_TRUE(cache->descriptor().async());
  std::string value, error;
  ASSERT_TRUE(cache->set("k", "v", std::chrono::seconds(5), error)) << error;
  ASSERT_EQ(cache->get("k", value, error), CacheOutcome::Hit) << error;
  EXPECT_EQ(value, "v");
}

TEST_F(SdkInstall, HeaderIsStrictC99AndCpp17) {
  std::string c = dir_->file("strict.c");
  test::write_file(c, "#include <fibd/cache_plugin.h>\nint main(void) { return 0; }\n");
  auto cflags = pkg_config("--cflags fibd-plugin");
  auto r = run_command("cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only " +
                       cflags + " " + shell_quote(c));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_command("c++ -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ " +
                  cflags + " " + shell_quote(c));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(SdkInstall, GrammarHeaderIsStrictCpp17) {
  std::string cpp = dir_->file("grammar.cpp");
  test::write_file(
      cpp,
      "#include <fibd/grammar.hpp>\n"
      "int main() {\n"
      "  std::chrono::milliseconds d{};\n"
      "  std::string why;\n"
      "  return fibd::grammar::parse_duration(\"1m30s\", &d, &why) ? 0 : 1;\n"
      "}\n");
  auto cflags = pkg_config("--cflags fibd-plugin");
  auto r = run_command("c++ -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only " +
                       cflags + " " + shell_quote(cpp));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace fibd
