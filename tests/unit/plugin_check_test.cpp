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

// Issue 24: positional initializers in ABI 1's order, against the ABI 2
// header. The checker names the cause and never crashes.
TEST(PluginCheck, ShiftedDescriptorWithoutCancelIsExplained) {
  auto r = check(shell_quote(test_plugin("shifted_no_cancel")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  load"));
  EXPECT_THAT(r.output, HasSubstr("sets cancel() but does not require "
                                  "FIBD_CACHE_FEATURE_ASYNC"));
  EXPECT_THAT(r.output, HasSubstr("are del, clear and stats shifted by one"));
  EXPECT_THAT(r.output, HasSubstr("Use designated initializers"));
  EXPECT_THAT(r.output, Not(HasSubstr("crashed")));
  EXPECT_THAT(r.output, HasSubstr("RESULT: FAIL"));
}

TEST(PluginCheck, ShiftedDescriptorWithoutRequiredFeaturesIsExplained) {
  auto r = check(shell_quote(test_plugin("shifted_no_required_features")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lacks required entry points: set"));
  EXPECT_THAT(r.output, HasSubstr("is an address in the plugin: are the fields after "
                                  "capabilities shifted by one"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: FAIL"));
}

// A crash fails the check it happened in, names the entry point, and the
// checks after it still run.
TEST(PluginCheck, CrashFailsOnlyItsCheckNamingTheEntryPoint) {
  auto r = check(shell_quote(test_plugin("crashes_in_clear")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  clear: crashed with SIGSEGV in the plugin's "
                                  "clear() entry point"));
  EXPECT_THAT(r.output, HasSubstr("SKIP  stats: not offered"));
  EXPECT_THAT(r.output, HasSubstr("PASS  destroy and unload"));
  EXPECT_THAT(r.output, HasSubstr("RESULT: FAIL"));
}

TEST(PluginCheck, HangFailsOnlyItsCheckNamingTheEntryPoint) {
  auto r = check(shell_quote(test_plugin("hangs_in_del")) + " --timeout 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("FAIL  delete: did not finish within 1 s (still in del)"));
  EXPECT_THAT(r.output, HasSubstr("PASS  destroy and unload"));
}

TEST(PluginCheck, SameFunctionInTwoSlotsFails) {
  auto r = check(shell_quote(test_plugin("same_function_twice")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("FAIL  descriptor: entry points with the same address: del and "
                        "clear"));
}

// Options reach create() 2 * sizeof(fibd_cache_option) apart: indexing
// config->options[i] reads the poison between them and crashes.
TEST(PluginCheck, IndexingOptionsFailsAtALargerStride) {
  auto r =
      check(shell_quote(test_plugin("options_indexed")) + " --option a=1 --option b=2");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(
      r.output,
      HasSubstr("FAIL  load: crashed with SIGSEGV in the plugin's "
                "create() entry point (if it reads options: they are 48 bytes apart"));
  EXPECT_THAT(r.output, HasSubstr("fibd_cache_option_at(config, i)"));
  // One option of the user's: the unknown one the checker adds is the second.
  r = check(shell_quote(test_plugin("options_indexed")) + " --option a=1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("PASS  load"));
  EXPECT_THAT(r.output,
              HasSubstr("FAIL  unknown option rejected: crashed with SIGSEGV in "
                        "the plugin's create() entry point"));
}

TEST(PluginCheck, ShippedPluginsReadOptionsAtAnyStride) {
  auto r = check(shell_quote(shipped_plugin("example_c")) + " --option max_entries=100");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("PASS  unknown option rejected"));
}

// The oldest version 2 host: host and call structures end before their
// optional fields, and its watch services abort if called all the same.
TEST(PluginCheck, ShippedPluginsPassOnTheOldestVersion2Host) {
  for (const std::string& plugin : {shipped_plugin("memory"), shipped_plugin("example_c"),
                                    test_plugin("async_cache")}) {
    auto r = check(shell_quote(plugin) + " --oldest-host");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("oldest version 2 host"));
  }
}

TEST(PluginCheck, OptionalHostFieldsUsedUntestedFailOnTheOldestHost) {
  auto r = check(shell_quote(test_plugin("watches_unchecked")));
  EXPECT_THAT(r.output, HasSubstr("PASS  load: watches_unchecked"));
  r = check(shell_quote(test_plugin("watches_unchecked")) + " --oldest-host");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  load: crashed with SIGABRT in the plugin's "
                                  "create() entry point"));
  EXPECT_THAT(r.output,
              HasSubstr("called host->watch_new, beyond the host's struct_size"));
}

TEST(PluginCheck, UsageErrors) {
  EXPECT_EQ(check("").exit_code, 2);
  EXPECT_EQ(check("a.so b.so").exit_code, 2);
  EXPECT_EQ(check("a.so --option novalue").exit_code, 2);
  EXPECT_EQ(check("a.so --timeout 0").exit_code, 2);
  auto help = check("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: fibd-plugin-check PLUGIN.so"));
}

}  // namespace
}  // namespace fibd
