// fibd-plugin-check on the plugins we ship (must pass) and on plugins that
// break the contract (must fail, saying which check).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "plugin_test_support.h"
#include "redis_server.h"

namespace fibd {
namespace {

using test::run_command;
using test::shell_quote;
using test::shipped_plugin;
using test::test_plugin;
using ::testing::HasSubstr;
using ::testing::Not;

test::CommandResult check(const std::string& args) {
  return run_command(shell_quote(std::string(FIBD_BUILD_DIR) + "/bin/fibd-plugin-check") +
                     " " + args);
}

TEST(PluginCheck, MemoryPasses) {
  auto r = check(shell_quote(shipped_plugin("memory")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("PASS  concurrent calls"));
  EXPECT_THAT(r.output, HasSubstr("PASS  TTL expiry"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: PASS"));
  EXPECT_THAT(r.output, Not(HasSubstr("FAIL")));
}

TEST(PluginCheck, MemoryPassesWithOptions) {
  auto r = check(shell_quote(shipped_plugin("memory")) +
                 " --option max_bytes=8MiB --option shards=2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(PluginCheck, ExampleCPasses) {
  auto r = check(shell_quote(shipped_plugin("example_c")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("SKIP  async completion"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: PASS"));
}

TEST(PluginCheck, AsyncPluginPassesTheAsyncRules) {
  auto r = check(shell_quote(test_plugin("async_cache")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("capabilities: thread-safe, non-blocking, async"));
  EXPECT_THAT(r.output, HasSubstr("PASS  async completion"));
  EXPECT_THAT(r.output, HasSubstr("PASS  async cancellation"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: PASS"));
}

TEST(PluginCheck, CompletingTwiceFails) {
  auto r = check(shell_quote(test_plugin("async_twice")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  async completion"));
  EXPECT_THAT(r.output, HasSubstr("was completed 2 times"));
}

TEST(PluginCheck, RedisPasses) {
  if (!std::filesystem::exists(shipped_plugin("redis")))
    GTEST_SKIP() << "redis.so not built";
  if (run_command("command -v redis-server").exit_code != 0) {
    GTEST_SKIP() << "redis-server not installed (packaging/test-deps)";
  }
  test::TempDir dir;
  fibd_redis_test::RedisServer redis(fibd_redis_test::free_port(), dir.path());
  ASSERT_TRUE(redis.start()) << "redis-server did not start";
  auto r = check(shell_quote(shipped_plugin("redis")) +
                 " --option address=127.0.0.1:" + std::to_string(redis.port()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("RESULT: PASS"));
}

TEST(PluginCheck, BrokenPluginFails) {
  auto r = check(shell_quote(test_plugin("broken_cache")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  overwrite"));
  EXPECT_THAT(r.output, HasSubstr("FAIL  TTL expiry"));
  EXPECT_THAT(r.output, HasSubstr("FAIL  binary-safe keys and values"));
  EXPECT_THAT(r.output, HasSubstr("SKIP  concurrent calls"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: FAIL"));
}

TEST(PluginCheck, ContractViolationsFail) {
  auto r = check(shell_quote(test_plugin("errors_on_get")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("backend timed out after 50 ms"));
}

TEST(PluginCheck, PinnedImageFails) {
  auto r = check(shell_quote(test_plugin("pinned")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  destroy and unload"));
}

TEST(PluginCheck, LoadFailureIsReported) {
  auto r = check(shell_quote(test_plugin("wrong_abi")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  load"));
  EXPECT_THAT(r.output, HasSubstr("ABI version 999"));
}

TEST(PluginCheck, VersionOnePluginIsRefused) {
  auto r = check(shell_quote(test_plugin("v1_plugin")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("built for cache plugin ABI version 1, but this fibd "
                                  "speaks ABI version 2"));
}

TEST(PluginCheck, FactoryOption) {
  auto r =
      check(shell_quote(test_plugin("custom_factory")) + " --factory my_cache_factory");
  EXPECT_THAT(r.output, HasSubstr("PASS  load: custom_factory"));
}

TEST(PluginCheck, UsageErrors) {
  EXPECT_EQ(check("").exit_code, 2);
  EXPECT_EQ(check("a.so b.so").exit_code, 2);
  EXPECT_EQ(check("a.so --option novalue").exit_code, 2);
  auto help = check("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: fibd-plugin-check PLUGIN.so"));
}

}  // namespace
}  // namespace fibd
