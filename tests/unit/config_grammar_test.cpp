// The value grammars of the config: durations, log levels, names, listen addresses.
#include <string>
#include <thread>

#include "config_test_support.h"

namespace fibd {
namespace {

using namespace config_test;

// ---------------------------------------------------------------------------
// Durations.

struct DurationCase {
  const char* text;
  long long ms;
};

TEST(Duration, Valid) {
  const DurationCase cases[] = {
      {"0", 0},
      {"0s", 0},
      {"0ms", 0},
      {"500ms", 500},
      {"15s", 15000},
      {"1m", 60000},
      {"2h", 7200000},
      {"1m30s", 90000},
      {"90s", 90000},
      {"1h2m3s", 3723000},
      {"1h2m3s500ms", 3723500},
      {"1h2m3s4ms", 3723004},
      {"30s1m", 90000},
      {"1.5s", 1500},
      {".5s", 500},
      {"1.5h", 5400000},
      {"0.001s", 1},
      {"2.50m", 150000},
      {"007s", 7000},
      {"1s1s", 2000},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_duration(c.text), milliseconds(c.ms)) << c.text;
  }
}

struct BadDurationCase {
  const char* text;
  const char* detail;
};

TEST(Duration, Invalid) {
  const BadDurationCase cases[] = {
      {"", "empty duration"},
      {"-1s", "negative duration '-1s'"},
      {"-0", "negative"},
      {"15", "missing unit in '15'"},
      {"00", "missing unit"},
      {"1m30", "missing unit"},
      {"5d", "unknown unit 'd'"},
      {"5us", "unknown unit 'us'"},
      {"5ns", "unknown unit 'ns'"},
      {"5S", "unknown unit 'S'"},
      {"5sec", "unknown unit 'sec'"},
      {"s", "missing number before the unit"},
      {"ms", "missing number"},
      {"1 s", "invalid character ' '"},
      {" 1s", "invalid duration"},
      {"+5s", "invalid duration"},
      {"1.5.5s", "invalid character '.'"},
      {".s", "missing number"},
      {"soon", "invalid duration 'soon'"},
      {"1.0005s", "finer than a millisecond"},
      {"0.5ms", "finer than a millisecond"},
      {"1.123456789h", "finer than a millisecond"},
      {"9223372036854775807s", "too large"},
      {"99999999999999999999ms", "too large"},
      {"2562047788015215h", "too large"},
      {"9223372036854775807ms1ms", "too large"},
  };
  for (const auto& c : cases) {
    try {
      const auto d = parse_duration(c.text);
      ADD_FAILURE() << "'" << c.text << "' accepted as " << d.count() << "ms";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.detail)) << c.text;
      EXPECT_THAT(e.what(), HasSubstr("(expected")) << c.text;
    }
  }
}

TEST(Duration, Format) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(1)), "1ms");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(format_duration(milliseconds(15000)), "15s");
  EXPECT_EQ(format_duration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(7200000)), "2h");
  EXPECT_EQ(format_duration(milliseconds(3723004)), "1h2m3s4ms");
  EXPECT_EQ(format_duration(milliseconds(100 * 3600000LL)), "100h");
  EXPECT_EQ(format_duration(milliseconds(-1500)), "-1s500ms");
}

TEST(Duration, FormatRoundTrips) {
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 59999LL, 60000LL, 3599999LL, 3600000LL,
                       86400000LL, 123456789LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

// ---------------------------------------------------------------------------
// Log levels and other names.

TEST(LogLevels, NamesRoundTrip) {
  const std::pair<LogLevel, const char*> levels[] = {
      {LogLevel::Trace, "trace"}, {LogLevel::Debug, "debug"},
      {LogLevel::Info, "info"},   {LogLevel::Warn, "warn"},
      {LogLevel::Error, "error"}, {LogLevel::Critical, "critical"},
      {LogLevel::Off, "off"}};
  for (const auto& [level, name] : levels) {
    EXPECT_EQ(to_string(level), name);
    EXPECT_EQ(parse_log_level(name), level) << name;
  }
}

TEST(LogLevels, CaseInsensitiveAndStrict) {
  EXPECT_EQ(parse_log_level("DEBUG"), LogLevel::Debug);
  EXPECT_EQ(parse_log_level("Info"), LogLevel::Info);
  EXPECT_EQ(parse_log_level("warning"), std::nullopt);
  EXPECT_EQ(parse_log_level(""), std::nullopt);
  EXPECT_EQ(parse_log_level("info "), std::nullopt);
  EXPECT_EQ(parse_log_level("3"), std::nullopt);
}

TEST(Names, AlgorithmsAndBuses) {
  EXPECT_EQ(to_string(Algorithm::Fast), "fast");
  EXPECT_EQ(to_string(Algorithm::Naive), "naive");
  EXPECT_EQ(parse_algorithm("naive"), Algorithm::Naive);
  EXPECT_EQ(parse_algorithm("slow"), std::nullopt);
  EXPECT_EQ(to_string(BusKind::System), "system");
  EXPECT_EQ(to_string(BusKind::Session), "session");
  EXPECT_EQ(to_string(BusKind::None), "none");
  EXPECT_EQ(parse_bus("session"), BusKind::Session);
  EXPECT_EQ(parse_bus("user"), std::nullopt);
}

TEST(Listen, ParseAndFormat) {
  ListenAddress a = parse_listen("127.0.0.1:8080");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  a = parse_listen("[::1]:9000");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 9000);
  EXPECT_EQ(format_listen(a), "[::1]:9000");
  EXPECT_EQ(format_listen({"0.0.0.0", 1}), "0.0.0.0:1");
  EXPECT_EQ(format_listen(parse_listen("[fe80::1:2]:65535")), "[fe80::1:2]:65535");
  EXPECT_THROW(parse_listen("[::1]"), ConfigError);
  EXPECT_THROW(parse_listen(std::string("[::1\0junk]:80", 14)), ConfigError);
}

}  // namespace
}  // namespace fibd
