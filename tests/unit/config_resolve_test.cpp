// The effective configuration: file or defaults, then flags.
#include <string>
#include <thread>

#include "config_test_support.h"

namespace fibd {
namespace {

using namespace config_test;

// ---------------------------------------------------------------------------
// resolve_config: file, default file, built-in defaults, then flags.

TEST(Resolve, BuiltInDefaultsWithoutAnyFile) {
  TempDir dir;
  const Config c = resolve_config(parse({"fibd"}), dir.path("absent.yaml"));
  expect_defaults(c);
  EXPECT_EQ(c.cache.plugin, "none");
  EXPECT_EQ(c.bus, BusKind::None);
  EXPECT_EQ(c.source, "");
}

TEST(Resolve, DefaultPathWhenPresent) {
  TempDir dir;
  const std::string path = dir.write("fibd.yaml", "workers: 3\ndbus:\n  bus: system\n");
  const Config c = resolve_config(parse({"fibd"}), path);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.bus, BusKind::System);
  EXPECT_EQ(c.source, path);
}

TEST(Resolve, InvalidDefaultFileIsAnError) {
  TempDir dir;
  const std::string path = dir.write("fibd.yaml", "workers: many\n");
  try {
    resolve_config(parse({"fibd"}), path);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(path + ":1: workers: "));
  }
}

TEST(Resolve, ExplicitConfigWinsOverDefaultPath) {
  TempDir dir;
  const std::string default_path = dir.write("default.yaml", "workers: 3\n");
  const std::string chosen = dir.write("chosen.yaml", "workers: 5\n");
  const Config c = resolve_config(parse({"fibd", "--config", chosen}), default_path);
  EXPECT_EQ(c.workers, 5u);
  EXPECT_EQ(c.source, chosen);
}

TEST(Resolve, MissingExplicitConfigIsAnError) {
  TempDir dir;
  const std::string missing = dir.path("missing.yaml");
  try {
    resolve_config(parse({"fibd", "--config", missing}), dir.path("absent.yaml"));
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(missing + ": cannot open: "));
  }
}

TEST(Resolve, FlagsOverrideTheFile) {
  TempDir dir;
  const std::string path = dir.write("fibd.yaml", R"(listen: 10.0.0.1:7000
log_level: error
cache:
  plugin: redis
  factory: other
  expiration: 1h
dbus:
  bus: system
)");
  const Config c = resolve_config(
      parse({"fibd", "-config=" + path, "-listen=0.0.0.0:9000", "-log-level=debug",
             "-cache-plugin-path=/opt/memory.so", "-cache-plugin-factory-name=f",
             "-cache-expiration=15s", "-bus=none"}),
      dir.path("absent.yaml"));
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.log_level, LogLevel::Debug);
  EXPECT_EQ(c.cache.plugin, "/opt/memory.so");
  EXPECT_EQ(c.cache.factory, "f");
  EXPECT_EQ(c.cache.expiration, milliseconds(15000));
  EXPECT_EQ(c.bus, BusKind::None);
}

TEST(Resolve, FileValuesStayWithoutFlags) {
  TempDir dir;
  const std::string path =
      dir.write("fibd.yaml", "listen: 10.0.0.1:7000\nlog_level: error\n");
  const Config c = resolve_config(parse({"fibd", "--config", path}), "");
  EXPECT_EQ(c.listen, "10.0.0.1:7000");
  EXPECT_EQ(c.log_level, LogLevel::Error);
}

TEST(Resolve, PortKeepsTheHost) {
  TempDir dir;
  const std::string absent = dir.path("absent.yaml");
  EXPECT_EQ(resolve_config(parse({"fibd", "-port=9090"}), absent).listen,
            "127.0.0.1:9090");

  const std::string v4 = dir.write("v4.yaml", "listen: 0.0.0.0:8000\n");
  EXPECT_EQ(
      resolve_config(parse({"fibd", "--config", v4, "--port", "8081"}), absent).listen,
      "0.0.0.0:8081");

  const std::string v6 = dir.write("v6.yaml", "listen: '[::1]:8080'\n");
  EXPECT_EQ(resolve_config(parse({"fibd", "--config", v6, "--port=9999"}), absent).listen,
            "[::1]:9999");

  const std::string named = dir.write("named.yaml", "listen: localhost:8080\n");
  EXPECT_EQ(resolve_config(parse({"fibd", "--config", named, "--port=1"}), absent).listen,
            "localhost:1");

  // --listen first, then --port replaces its port, whatever the order given.
  EXPECT_EQ(
      resolve_config(parse({"fibd", "--port=7", "--listen=[::]:8080"}), absent).listen,
      "[::]:7");
}

TEST(Resolve, ReloadReadsTheSameSourceAgain) {
  TempDir dir;
  const std::string path = dir.write("fibd.yaml", "workers: 2\n");
  const CommandLine cl = parse({"fibd", "--config", path, "--log-level=warn"});
  EXPECT_EQ(resolve_config(cl, "").workers, 2u);
  dir.write("fibd.yaml", "workers: 6\nlog_level: trace\n");
  const Config c = resolve_config(cl, "");
  EXPECT_EQ(c.workers, 6u);
  EXPECT_EQ(c.log_level, LogLevel::Warn);  // the flag still wins
}

}  // namespace
}  // namespace fibd
