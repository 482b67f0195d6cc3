// The command line: GNU and seed-style flags, and their errors.
#include <string>
#include <thread>

#include "config_test_support.h"

namespace fibd {
namespace {

using namespace config_test;

// ---------------------------------------------------------------------------
// The command line.

TEST(CommandLine, NoFlags) {
  const CommandLine cl = parse({"fibd"});
  EXPECT_FALSE(cl.config_path);
  EXPECT_FALSE(cl.listen);
  EXPECT_FALSE(cl.port);
  EXPECT_FALSE(cl.log_level);
  EXPECT_FALSE(cl.cache_plugin_path);
  EXPECT_FALSE(cl.cache_factory);
  EXPECT_FALSE(cl.cache_expiration);
  EXPECT_FALSE(cl.bus);
  EXPECT_FALSE(cl.check_config);
  EXPECT_FALSE(cl.version);
  EXPECT_FALSE(cl.help);
}

TEST(CommandLine, SeedStyleSingleDash) {
  const CommandLine cl =
      parse({"fibd", "-port=8080", "-log-level=debug", "-cache-plugin-path=./memory.so",
             "-cache-plugin-factory-name=fibd_cache_plugin", "-cache-expiration=15s"});
  EXPECT_EQ(cl.port, 8080);
  EXPECT_EQ(cl.log_level, LogLevel::Debug);
  // A relative path is relative to the directory fibd started in.
  EXPECT_EQ(cl.cache_plugin_path,
            (std::filesystem::current_path() / "memory.so").string());
  EXPECT_EQ(cl.cache_factory, "fibd_cache_plugin");
  EXPECT_EQ(cl.cache_expiration, milliseconds(15000));
}

TEST(CommandLine, GnuStyle) {
  const CommandLine cl =
      parse({"fibd", "--config", "/etc/fibd-test.yaml", "--listen=[::1]:9000", "--port",
             "9001", "--log-level", "trace", "--cache-plugin-path", "memory",
             "--cache-plugin-factory-name", "make_cache", "--cache-expiration", "1m30s",
             "--bus=session", "--check-config"});
  EXPECT_EQ(cl.config_path, "/etc/fibd-test.yaml");
  EXPECT_EQ(cl.listen, "[::1]:9000");
  EXPECT_EQ(cl.port, 9001);
  EXPECT_EQ(cl.log_level, LogLevel::Trace);
  EXPECT_EQ(cl.cache_plugin_path, "memory");  // a name, looked up in plugin_dir
  EXPECT_EQ(cl.cache_factory, "make_cache");
  EXPECT_EQ(cl.cache_expiration, milliseconds(90000));
  EXPECT_EQ(cl.bus, BusKind::Session);
  EXPECT_TRUE(cl.check_config);
}

TEST(CommandLine, SingleDashWithSeparateValue) {
  const CommandLine cl = parse({"fibd", "-port", "8081", "-bus", "none", "-version"});
  EXPECT_EQ(cl.port, 8081);
  EXPECT_EQ(cl.bus, BusKind::None);
  EXPECT_TRUE(cl.version);
}

TEST(CommandLine, PathsBecomeAbsolute) {
  const auto cwd = std::filesystem::current_path();
  EXPECT_EQ(parse({"fibd", "--config=etc/fibd.yaml"}).config_path,
            (cwd / "etc/fibd.yaml").string());
  EXPECT_EQ(parse({"fibd", "-cache-plugin-path=plugins/../memory.so"}).cache_plugin_path,
            (cwd / "memory.so").string());
  EXPECT_EQ(parse({"fibd", "-cache-plugin-path=/x/y.so"}).cache_plugin_path, "/x/y.so");
  EXPECT_EQ(parse({"fibd", "-cache-plugin-path=none"}).cache_plugin_path, "none");
}

TEST(CommandLine, HelpVersionAndLastValueWins) {
  EXPECT_TRUE(parse({"fibd", "--help"}).help);
  EXPECT_TRUE(parse({"fibd", "-help"}).help);
  EXPECT_TRUE(parse({"fibd", "-h"}).help);
  EXPECT_TRUE(parse({"fibd", "--version"}).version);
  EXPECT_EQ(parse({"fibd", "--port=1", "--port=2"}).port, 2);
}

TEST(CommandLine, UsageListsEveryFlag) {
  const std::string usage = usage_text("/usr/sbin/fibd");
  EXPECT_THAT(usage, StartsWith("Usage: fibd "));
  for (const char* flag :
       {"--config", "--listen", "--port", "--log-level", "--cache-plugin-path",
        "--cache-plugin-factory-name", "--cache-expiration", "--bus", "--check-config",
        "--version", "--help"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

struct FlagErrorCase {
  std::vector<std::string> args;
  const char* detail;
};

TEST(CommandLine, Errors) {
  const FlagErrorCase cases[] = {
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"-bogus=1"}, "unknown option '-bogus'"},
      {{"-x"}, "unknown option '-x'"},
      {{"-c"}, "ambiguous option '-c' (could be --config, --cache-plugin-path,"},
      {{"--cache-p=x"}, "ambiguous option '--cache-p'"},
      {{"--port"}, "option '--port' needs a value"},
      {{"-config"}, "option '--config' needs a value"},
      {{"--check-config=yes"}, "option '--check-config' takes no value"},
      {{"serve"}, "unexpected argument 'serve'"},
      {{"--port=0"}, "--port: '0' is out of range (expected a port 1..65535)"},
      {{"--port=70000"}, "--port: '70000' is out of range"},
      {{"-port=abc"}, "--port: 'abc' is not a whole number"},
      {{"-port=-1"}, "--port: '-1' is negative"},
      {{"--port="}, "--port: empty value"},
      {{"--listen=nope"}, "--listen: 'nope' has no port"},
      {{"--listen=::1:80"}, "--listen: the IPv6 address in '::1:80' needs brackets"},
      {{"--log-level=loud"}, "--log-level: unknown log level 'loud'"},
      {{"--bus=user"}, "--bus: unknown bus 'user'"},
      {{"--cache-expiration=5"}, "--cache-expiration: missing unit"},
      {{"--cache-expiration=-5s"}, "--cache-expiration: negative duration"},
      {{"--cache-plugin-factory-name=a-b"},
       "--cache-plugin-factory-name: 'a-b' is not a valid"},
      {{"--cache-plugin-factory-name="},
       "--cache-plugin-factory-name: empty symbol name"},
      {{"--cache-plugin-path="}, "--cache-plugin-path: empty plugin"},
      {{"--cache-plugin-path=my plugin"},
       "--cache-plugin-path: 'my plugin' is not a valid"},
      {{"--config="}, "--config: empty path"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> storage{"fibd"};
    storage.insert(storage.end(), c.args.begin(), c.args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    try {
      parse_command_line(static_cast<int>(storage.size()), argv.data());
      ADD_FAILURE() << c.args[0] << ": accepted";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.detail)) << c.args[0];
      EXPECT_THAT(e.what(), HasSubstr("Try 'fibd --help'")) << c.args[0];
    }
  }
}

}  // namespace
}  // namespace fibd
