#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

namespace fibd {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------
// Helpers.

std::string error_of(const std::string& yaml, const std::string& source = "test.yaml") {
  try {
    parse_config(yaml, source);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted:\n" << yaml;
  return "";
}

// argv for parse_command_line, with storage that outlives the call.
class Args {
 public:
  Args(std::initializer_list<std::string> args) : storage_(args) {
    for (auto& s : storage_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

CommandLine parse(std::initializer_list<std::string> args) {
  Args a(args);
  return parse_command_line(a.argc(), a.argv());
}

// A scratch directory removed with the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fibd-config-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------
// Defaults and valid files.

void expect_defaults(const Config& c) {
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.algorithm, Algorithm::Fast);
  EXPECT_EQ(c.max_n, 1000000u);
  EXPECT_EQ(c.max_inflight, 64u);
  EXPECT_EQ(c.compute_timeout, milliseconds(30000));
  EXPECT_EQ(c.cache.plugin, "none");
  EXPECT_EQ(c.cache.plugin_dir, FIBD_DEFAULT_PLUGIN_DIR);
  EXPECT_EQ(c.cache.factory, "fibd_cache_plugin");
  EXPECT_TRUE(c.cache.trust_check);
  EXPECT_EQ(c.cache.expiration, milliseconds(15000));
  EXPECT_TRUE(c.cache.options.empty());
  EXPECT_EQ(c.bus, BusKind::None);
}

TEST(ConfigDefaults, BuiltIn) { expect_defaults(Config{}); }

TEST(ConfigParse, EmptyFileMeansDefaults) {
  for (const char* text : {"", "\n", "# only a comment\n", "---\n", "~\n"}) {
    SCOPED_TRACE(text);
    const Config c = parse_config(text, "empty.yaml");
    expect_defaults(c);
    EXPECT_EQ(c.source, "empty.yaml");
  }
}

TEST(ConfigParse, EmptySectionsMeanDefaults) {
  const Config c = parse_config("fib:\nlimits:\ncache:\n  options:\ndbus:\n", "t.yaml");
  expect_defaults(c);
}

TEST(ConfigParse, FullFile) {
  const Config c = parse_config(R"(# fibd
listen: "[::1]:9090"
log_level: debug
workers: 4
fib:
  algorithm: naive
  max_n: 50
limits:
  max_inflight: 8
  compute_timeout: 1m30s
cache:
  plugin: memory
  plugin_dir: /opt/fibd/plugins
  factory: my_factory
  trust_check: false
  expiration: 500ms
  options:
    host: 127.0.0.1
    port: 6379
    tls: true
    password: ""
    db: '0'
dbus:
  bus: session
)",
                                "full.yaml");
  EXPECT_EQ(c.listen, "[::1]:9090");
  EXPECT_EQ(c.log_level, LogLevel::Debug);
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.effective_workers(), 4u);
  EXPECT_EQ(c.algorithm, Algorithm::Naive);
  EXPECT_EQ(c.max_n, 50u);
  EXPECT_EQ(c.max_inflight, 8u);
  EXPECT_EQ(c.compute_timeout, milliseconds(90000));
  EXPECT_EQ(c.cache.plugin, "memory");
  EXPECT_EQ(c.cache.plugin_dir, "/opt/fibd/plugins");
  EXPECT_EQ(c.cache.factory, "my_factory");
  EXPECT_FALSE(c.cache.trust_check);
  EXPECT_EQ(c.cache.expiration, milliseconds(500));
  using Option = std::pair<std::string, std::string>;
  EXPECT_EQ(c.cache.options, (std::vector<Option>{{"host", "127.0.0.1"},
                                                  {"port", "6379"},
                                                  {"tls", "true"},
                                                  {"password", ""},
                                                  {"db", "0"}}));
  EXPECT_EQ(c.bus, BusKind::Session);
  EXPECT_EQ(c.source, "full.yaml");
}

TEST(ConfigParse, FlowStyleAndOptionOrder) {
  const Config c =
      parse_config("cache: {options: {zeta: 1, alpha: two, mid: 3.5}}\n", "t.yaml");
  ASSERT_EQ(c.cache.options.size(), 3u);
  EXPECT_EQ(c.cache.options[0], (std::pair<std::string, std::string>{"zeta", "1"}));
  EXPECT_EQ(c.cache.options[1], (std::pair<std::string, std::string>{"alpha", "two"}));
  EXPECT_EQ(c.cache.options[2], (std::pair<std::string, std::string>{"mid", "3.5"}));
}

TEST(ConfigParse, ValidValues) {
  EXPECT_EQ(parse_config("listen: 0.0.0.0:80\n", "t").listen, "0.0.0.0:80");
  EXPECT_EQ(parse_config("listen: '[::]:65535'\n", "t").listen, "[::]:65535");
  EXPECT_EQ(parse_config("listen: localhost:8080\n", "t").listen, "localhost:8080");
  EXPECT_EQ(parse_config("listen: fibd.example.org:1\n", "t").listen,
            "fibd.example.org:1");
  EXPECT_EQ(parse_config("log_level: WARN\n", "t").log_level, LogLevel::Warn);
  EXPECT_EQ(parse_config("log_level: 'off'\n", "t").log_level, LogLevel::Off);
  EXPECT_EQ(parse_config("workers: 0\n", "t").workers, 0u);
  EXPECT_EQ(parse_config("workers: 1024\n", "t").workers, 1024u);
  EXPECT_EQ(parse_config("fib: {max_n: 100000000}\n", "t").max_n, 100000000u);
  EXPECT_EQ(parse_config("fib: {algorithm: fast}\n", "t").algorithm, Algorithm::Fast);
  EXPECT_EQ(parse_config("cache: {expiration: 0}\n", "t").cache.expiration,
            milliseconds(0));
  EXPECT_EQ(parse_config("cache: {plugin: none}\n", "t").cache.plugin, "none");
  EXPECT_EQ(parse_config("cache: {plugin: redis-1.2_x}\n", "t").cache.plugin,
            "redis-1.2_x");
  EXPECT_EQ(parse_config("cache: {plugin: /usr/lib/x/memory.so}\n", "t").cache.plugin,
            "/usr/lib/x/memory.so");
  EXPECT_EQ(parse_config("cache: {factory: _f1}\n", "t").cache.factory, "_f1");
  EXPECT_TRUE(parse_config("cache: {trust_check: yes}\n", "t").cache.trust_check);
  EXPECT_FALSE(parse_config("cache: {trust_check: False}\n", "t").cache.trust_check);
  EXPECT_EQ(parse_config("dbus: {bus: system}\n", "t").bus, BusKind::System);
  EXPECT_EQ(parse_config("dbus: {bus: none}\n", "t").bus, BusKind::None);
}

TEST(ConfigEffective, MaxN) {
  Config c;
  c.max_n = 1000000;
  EXPECT_EQ(c.effective_max_n(), 1000000u);
  c.algorithm = Algorithm::Naive;
  EXPECT_EQ(c.effective_max_n(), kNaiveMaxN);
  c.max_n = 50;
  EXPECT_EQ(c.effective_max_n(), 50u);
}

TEST(ConfigEffective, Workers) {
  Config c;
  const unsigned cpus = std::thread::hardware_concurrency();
  EXPECT_EQ(c.effective_workers(), cpus == 0 ? 1u : cpus);
  EXPECT_GE(c.effective_workers(), 1u);
  c.workers = 3;
  EXPECT_EQ(c.effective_workers(), 3u);
}

// ---------------------------------------------------------------------------
// Every error path: the message starts with "FILE:LINE: key.path: " and says
// what is wrong.

struct ErrorCase {
  const char* yaml;
  const char* prefix;  // "test.yaml:LINE: key.path: "
  const char* detail;  // a fragment of the rest
};

// One line, so that test names stay readable.
void PrintTo(const ErrorCase& c, std::ostream* os) {
  for (const char* p = c.yaml; *p != '\0'; ++p) {
    if (*p == '\n') {
      *os << "\\n";
    } else if (*p == '\t') {
      *os << "\\t";
    } else {
      *os << *p;
    }
  }
}

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineAndKey) {
  const ErrorCase& c = GetParam();
  const std::string message = error_of(c.yaml);
  EXPECT_THAT(message, StartsWith(c.prefix));
  EXPECT_THAT(message, HasSubstr(c.detail));
}

const ErrorCase kStructureErrors[] = {
    // YAML syntax.
    {"# fibd\nlisten: [1,\n", "test.yaml:3: ", "YAML syntax error"},
    {"fib:\n  max_n: 5\n\talgorithm: fast\n", "test.yaml:3: ", "YAML syntax error"},
    {"listen: a: b\n", "test.yaml:1: ", "YAML syntax error"},
    {"# c\nfib: {max_n: 5\n", "test.yaml:3: ", "YAML syntax error"},
    {"a: &x 1\nb: *y\n", "test.yaml:2: ", "YAML syntax error"},
    {"- a\nworkers: 1\n", "test.yaml:", "more than one YAML document"},
    {"listen: \"x\"\n  bad: indent\n", "test.yaml:2: ", "YAML syntax error"},
    // Found by fuzz_config: yaml-cpp 0.7's LoadAll() looped forever on these,
    // allocating an empty document per round until the process died.
    {",", "test.yaml:1: ", "YAML syntax error: unexpected ','"},
    {"# fibd\n, listen: x\n", "test.yaml:2: ", "YAML syntax error: unexpected ','"},
    // The top level.
    {"- listen\n- workers\n",
     "test.yaml:1: ", "the top level is a list (expected a mapping"},
    {"# comment\nhello\n", "test.yaml:2: ", "the top level is 'hello'"},
    {"listen: 127.0.0.1:1\n---\nworkers: 2\n",
     "test.yaml:3: ", "more than one YAML document"},
    // Unknown keys at every level.
    {"# c\nbogus: 1\n", "test.yaml:2: bogus: ", "unknown key (expected one of listen,"},
    {"Listen: 127.0.0.1:80\n", "test.yaml:1: Listen: ", "unknown key"},
    {"fib:\n  algorithm: fast\n  bogus: 1\n",
     "test.yaml:3: fib.bogus: ", "unknown key (expected one of algorithm, max_n)"},
    {"limits:\n  timeout: 5s\n",
     "test.yaml:2: limits.timeout: ", "expected one of max_inflight, compute_timeout"},
    {"cache:\n  plugin: none\n  ttl: 5s\n", "test.yaml:3: cache.ttl: ", "unknown key"},
    {"dbus:\n  address: x\n", "test.yaml:2: dbus.address: ", "expected one of bus"},
    {"fib.max_n: 5\n", "test.yaml:1: fib.max_n: ", "unknown key"},
    // Duplicate keys.
    {"workers: 1\nlog_level: info\nworkers: 2\n",
     "test.yaml:3: workers: ", "duplicate key (first set on line 1)"},
    {"fib:\n  max_n: 1\n  max_n: 2\n", "test.yaml:3: fib.max_n: ", "duplicate key"},
    {"cache:\n  options:\n    a: 1\n    a: 2\n",
     "test.yaml:4: cache.options.a: ", "duplicate key (first set on line 3)"},
    // Keys that are not names.
    {"[a, b]: 1\n", "test.yaml:1: (top level): ", "not a plain name"},
    {"fib:\n  {x: 1}: 2\n", "test.yaml:2: fib: ", "not a plain name"},
    {"~: 1\n", "test.yaml:1: (top level): ", "not a plain name"},
    {"cache:\n  options:\n    [x]: 1\n",
     "test.yaml:3: cache.options: ", "not a plain name"},
    // Sections of the wrong type.
    {"fib: 5\n",
     "test.yaml:1: fib: ", "got '5' (expected a mapping with keys algorithm, max_n)"},
    {"limits:\n  - max_inflight\n", "test.yaml:2: limits: ", "got a list"},
    {"cache: memory\n", "test.yaml:1: cache: ", "got 'memory'"},
    {"dbus: [system]\n", "test.yaml:1: dbus: ", "got a list"},
};
INSTANTIATE_TEST_SUITE_P(Structure, ConfigErrors, ::testing::ValuesIn(kStructureErrors));

const ErrorCase kValueErrors[] = {
    // listen.
    {"listen:\n", "test.yaml:1: listen: ", "no value"},
    {"listen: [a]\n", "test.yaml:1: listen: ", "got a list (expected host:port"},
    {"listen: {host: x}\n", "test.yaml:1: listen: ", "got a mapping"},
    {"listen: 8080\n", "test.yaml:1: listen: ", "'8080' has no port"},
    {"listen: localhost\n", "test.yaml:1: listen: ", "has no port"},
    {"listen: ':8080'\n", "test.yaml:1: listen: ", "has no host"},
    {"listen: '[::1]8080'\n", "test.yaml:1: listen: ", "has no port"},
    // Found by fuzz_address: inet_pton() stopped at the NUL and saw ::1.
    {"listen: \"[::1\\0junk]:8080\"\n", "test.yaml:1: listen: ", "NUL character"},
    {"listen: '[::1:8080'\n", "test.yaml:1: listen: ", "lacks a closing ']'"},
    {"listen: '[1.2.3.4]:80'\n", "test.yaml:1: listen: ", "is not an IPv6 address"},
    {"listen: '::1:8080'\n", "test.yaml:1: listen: ", "needs brackets"},
    {"listen: 1.2.3:80\n",
     "test.yaml:1: listen: ", "not a valid IPv4 address or host name"},
    {"listen: 256.0.0.1:80\n", "test.yaml:1: listen: ", "not a valid IPv4 address"},
    {"listen: host_name:80\n",
     "test.yaml:1: listen: ", "not a valid IPv4 address or host name"},
    {"listen: -host:80\n", "test.yaml:1: listen: ", "host name"},
    {"listen: 127.0.0.1:0\n",
     "test.yaml:1: listen: ", "'0' is out of range (expected a port 1..65535)"},
    {"listen: 127.0.0.1:65536\n", "test.yaml:1: listen: ", "out of range"},
    {"listen: 127.0.0.1:http\n", "test.yaml:1: listen: ", "'http' is not a whole number"},
    {"listen: '127.0.0.1:'\n", "test.yaml:1: listen: ", "has no port"},
    {"listen: '127.0.0.1:-80'\n", "test.yaml:1: listen: ", "is negative"},
    {"listen: ''\n", "test.yaml:1: listen: ", "empty address"},
    // log_level.
    {"# c\nlog_level: loud\n", "test.yaml:2: log_level: ",
     "unknown log level 'loud' (expected one of trace, debug, info, warn, error, "
     "critical, off)"},
    {"log_level: [info]\n", "test.yaml:1: log_level: ", "got a list"},
    {"log_level:\n", "test.yaml:1: log_level: ", "no value"},
    // workers.
    {"workers: abc\n", "test.yaml:1: workers: ", "'abc' is not a whole number"},
    {"workers: -1\n", "test.yaml:1: workers: ", "'-1' is negative"},
    {"workers: 1.5\n", "test.yaml:1: workers: ", "not a whole number"},
    {"workers: +2\n", "test.yaml:1: workers: ", "not a whole number"},
    {"workers: 0x10\n", "test.yaml:1: workers: ", "not a whole number"},
    {"workers: 1025\n",
     "test.yaml:1: workers: ", "out of range (expected 0 for one per CPU, or 1..1024)"},
    {"workers: 99999999999999999999999\n", "test.yaml:1: workers: ", "out of range"},
    {"workers: [1]\n", "test.yaml:1: workers: ", "got a list"},
    {"workers:\n", "test.yaml:1: workers: ", "no value"},
    // fib.
    {"fib:\n  algorithm: slow\n", "test.yaml:2: fib.algorithm: ",
     "unknown algorithm 'slow' (expected one of fast, naive)"},
    {"fib:\n  algorithm: {a: b}\n", "test.yaml:2: fib.algorithm: ", "got a mapping"},
    {"fib:\n  max_n: 0\n",
     "test.yaml:2: fib.max_n: ", "'0' is out of range (expected 1..100000000)"},
    {"fib:\n  max_n: 100000001\n", "test.yaml:2: fib.max_n: ", "out of range"},
    {"fib:\n  max_n: abc\n", "test.yaml:2: fib.max_n: ", "'abc' is not a whole number"},
    {"fib:\n  max_n: -5\n", "test.yaml:2: fib.max_n: ", "'-5' is negative"},
    {"fib:\n  max_n:\n    - 1\n", "test.yaml:3: fib.max_n: ", "got a list"},
    {"fib:\n  max_n: 1e6\n", "test.yaml:2: fib.max_n: ", "not a whole number"},
    // limits.
    {"limits:\n  max_inflight: 0\n",
     "test.yaml:2: limits.max_inflight: ", "out of range (expected 1..1000000)"},
    {"limits:\n  max_inflight: lots\n",
     "test.yaml:2: limits.max_inflight: ", "not a whole number"},
    {"limits:\n  max_inflight: -1\n", "test.yaml:2: limits.max_inflight: ", "negative"},
    {"limits:\n  compute_timeout: 0\n",
     "test.yaml:2: limits.compute_timeout: ", "must be longer than zero"},
    {"limits:\n  compute_timeout: 0s\n",
     "test.yaml:2: limits.compute_timeout: ", "must be longer than zero"},
    {"limits:\n  compute_timeout: 30\n",
     "test.yaml:2: limits.compute_timeout: ", "missing unit in '30'"},
    {"limits:\n  compute_timeout: -5s\n",
     "test.yaml:2: limits.compute_timeout: ", "negative duration"},
    {"limits:\n  compute_timeout: 5d\n",
     "test.yaml:2: limits.compute_timeout: ", "unknown unit 'd'"},
    {"limits:\n  compute_timeout: soon\n",
     "test.yaml:2: limits.compute_timeout: ", "invalid duration"},
    {"limits:\n  compute_timeout: [5s]\n",
     "test.yaml:2: limits.compute_timeout: ", "got a list"},
    // cache.
    {"cache:\n  plugin: ''\n", "test.yaml:2: cache.plugin: ", "empty plugin"},
    {"cache:\n  plugin:\n", "test.yaml:2: cache.plugin: ", "no value"},
    {"cache:\n  plugin: plugins/memory.so\n",
     "test.yaml:2: cache.plugin: ", "is a relative path"},
    {"cache:\n  plugin: ./memory.so\n",
     "test.yaml:2: cache.plugin: ", "is a relative path"},
    {"cache:\n  plugin: my plugin\n",
     "test.yaml:2: cache.plugin: ", "not a valid plugin name"},
    {"cache:\n  plugin: '..'\n",
     "test.yaml:2: cache.plugin: ", "not a valid plugin name"},
    {"cache:\n  plugin: [memory]\n", "test.yaml:2: cache.plugin: ", "got a list"},
    {"cache:\n  plugin: \"mem\\0ory\"\n", "test.yaml:2: cache.plugin: ", "NUL"},
    {"cache:\n  plugin_dir: ''\n", "test.yaml:2: cache.plugin_dir: ", "empty directory"},
    {"cache:\n  plugin_dir: lib/plugins\n", "test.yaml:2: cache.plugin_dir: ",
     "'lib/plugins' is a relative path (expected an absolute directory path)"},
    {"cache:\n  plugin_dir: {a: 1}\n",
     "test.yaml:2: cache.plugin_dir: ", "got a mapping"},
    {"cache:\n  factory: ''\n", "test.yaml:2: cache.factory: ", "empty symbol name"},
    {"cache:\n  factory: 1abc\n",
     "test.yaml:2: cache.factory: ", "not a valid symbol name"},
    {"cache:\n  factory: make-plugin\n",
     "test.yaml:2: cache.factory: ", "not a valid symbol name"},
    {"cache:\n  factory: [f]\n", "test.yaml:2: cache.factory: ", "got a list"},
    {"cache:\n  trust_check: maybe\n", "test.yaml:2: cache.trust_check: ",
     "'maybe' is not a boolean (expected true or false)"},
    {"cache:\n  trust_check: 1\n", "test.yaml:2: cache.trust_check: ", "not a boolean"},
    {"cache:\n  trust_check: [true]\n", "test.yaml:2: cache.trust_check: ", "got a list"},
    {"cache:\n  trust_check:\n", "test.yaml:2: cache.trust_check: ", "no value"},
    {"cache:\n  expiration: -1s\n",
     "test.yaml:2: cache.expiration: ", "negative duration"},
    {"cache:\n  expiration: 15\n", "test.yaml:2: cache.expiration: ", "missing unit"},
    {"cache:\n  expiration: 1x\n", "test.yaml:2: cache.expiration: ", "unknown unit 'x'"},
    {"cache:\n  expiration: {s: 1}\n",
     "test.yaml:2: cache.expiration: ", "got a mapping"},
    {"cache:\n  options: [a, b]\n", "test.yaml:2: cache.options: ",
     "got a list (expected a mapping of option names to values)"},
    {"cache:\n  options: host=x\n", "test.yaml:2: cache.options: ", "got 'host=x'"},
    {"cache:\n  options:\n    hosts: [a, b]\n",
     "test.yaml:3: cache.options.hosts: ", "got a list"},
    {"cache:\n  options:\n    tls: {on: true}\n",
     "test.yaml:3: cache.options.tls: ", "got a mapping"},
    {"cache:\n  options:\n    password:\n",
     "test.yaml:3: cache.options.password: ", "no value (expected a single value"},
    {"cache:\n  options:\n    '': x\n",
     "test.yaml:3: cache.options: ", "not a plain name"},
    // dbus.
    {"dbus:\n  bus: both\n", "test.yaml:2: dbus.bus: ",
     "unknown bus 'both' (expected one of system, session, none)"},
    {"dbus:\n  bus: [system]\n", "test.yaml:2: dbus.bus: ", "got a list"},
    {"dbus:\n  bus:\n", "test.yaml:2: dbus.bus: ", "no value"},
};
INSTANTIATE_TEST_SUITE_P(Values, ConfigErrors, ::testing::ValuesIn(kValueErrors));

TEST(ConfigParse, ErrorsNameTheSource) {
  EXPECT_THAT(error_of("workers: x\n", "/etc/fibd.yaml"),
              StartsWith("/etc/fibd.yaml:1: workers: "));
}

// ---------------------------------------------------------------------------
// Files.

TEST(ConfigFile, LoadsAndNamesTheFileInErrors) {
  TempDir dir;
  const std::string good = dir.write("good.yaml", "fib:\n  max_n: 77\n");
  const Config c = load_config_file(good);
  EXPECT_EQ(c.max_n, 77u);
  EXPECT_EQ(c.source, good);

  const std::string bad = dir.write("bad.yaml", "# fibd\nfib:\n  max_n: 0\n");
  try {
    load_config_file(bad);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(bad + ":3: fib.max_n: "));
  }
}

TEST(ConfigFile, EmptyFileIsValid) {
  TempDir dir;
  expect_defaults(load_config_file(dir.write("empty.yaml", "")));
}

TEST(ConfigFile, MissingFileIsAnError) {
  TempDir dir;
  const std::string missing = dir.path("missing.yaml");
  try {
    load_config_file(missing);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(missing + ": cannot open: "));
    EXPECT_THAT(e.what(), HasSubstr("No such file"));
  }
}

TEST(ConfigFile, DirectoryIsAnError) {
  TempDir dir;
  const std::string path = dir.path("");
  EXPECT_THROW(load_config_file(path), ConfigError);
}

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
