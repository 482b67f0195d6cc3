// fibd-plugin-check on the plugins we ship (must pass) and on plugins that
// break the contract (must fail, saying which check).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "plugin_test_support.h"

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

// A throw-away redis-server on a free loopback port, without persistence.
class ScratchRedis {
 public:
  ScratchRedis() {
    port_ = free_port();
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",       "--appendonly",        "no",     "--dir",
        dir_.path()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, "redis-server", &fa, nullptr, argv.data(), environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; pid_ > 0 && i < 100 && !accepts(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~ScratchRedis() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return pid_ > 0 && accepts(); }
  int port() const { return port_; }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  bool accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  test::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(PluginCheck, RedisPasses) {
  if (!std::filesystem::exists(shipped_plugin("redis")))
    GTEST_SKIP() << "redis.so not built";
  if (run_command("command -v redis-server").exit_code != 0) {
    GTEST_SKIP() << "redis-server not installed (packaging/test-deps)";
  }
  ScratchRedis redis;
  ASSERT_TRUE(redis.ready()) << "redis-server did not start";
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
