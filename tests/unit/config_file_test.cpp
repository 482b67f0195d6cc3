// /etc/fibd.yaml: defaults, valid files, and every refusal naming file:line and key.
#include <string>
#include <thread>

#include "base/cpu_budget.h"
#include "config_test_support.h"

namespace fibd {
namespace {

using namespace config_test;

// ---------------------------------------------------------------------------
// Defaults and valid files.

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
  EXPECT_EQ(c.effective_workers(8), 4u);
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
  EXPECT_EQ(parse_config("cache: {near: {max_bytes: 64MiB}}\n", "t").cache.near_max_bytes,
            64u << 20);
  EXPECT_EQ(parse_config("cache: {near: {max_bytes: 0}}\n", "t").cache.near_max_bytes,
            0u);
  EXPECT_EQ(parse_config("cache: {}\n", "t").cache.near_max_bytes, 0u);
  EXPECT_TRUE(parse_config("cache: {trust_check: yes}\n", "t").cache.trust_check);
  EXPECT_FALSE(parse_config("cache: {trust_check: False}\n", "t").cache.trust_check);
  EXPECT_EQ(parse_config("dbus: {bus: system}\n", "t").bus, BusKind::System);
  EXPECT_EQ(parse_config("dbus: {bus: none}\n", "t").bus, BusKind::None);
}

TEST(ConfigParse, HttpSection) {
  const Config c = parse_config(
      "http:\n  max_connections: 5\n  head_timeout: 2s\n  idle_timeout: 1m\n"
      "  max_request_line: 1KiB\n  max_header_bytes: 4096\n",
      "t.yaml");
  EXPECT_EQ(c.http.max_connections, 5u);
  EXPECT_EQ(c.http.head_timeout, milliseconds(2000));
  EXPECT_EQ(c.http.idle_timeout, milliseconds(60000));
  EXPECT_EQ(c.http.max_request_line, 1024u);
  EXPECT_EQ(c.http.max_header_bytes, 4096u);
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
  EXPECT_EQ(c.effective_workers(usable_cpus().cpus), usable_cpus().cpus);
  EXPECT_EQ(c.effective_workers(5), 5u);
  EXPECT_GE(c.effective_workers(0), 1u);
  c.workers = 3;
  EXPECT_EQ(c.effective_workers(5), 3u);
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
    {"cache:\n  near:\n    max_bytes: lots\n",
     "test.yaml:3: cache.near.max_bytes: ", "lots"},
    {"cache:\n  near:\n    size: 1MiB\n", "test.yaml:3: cache.near.size: ", "unknown"},
    {"cache:\n  near: 1MiB\n", "test.yaml:2: cache.near: ", "1MiB"},
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
    // http.
    {"http:\n  keepalive: 5s\n", "test.yaml:2: http.keepalive: ",
     "unknown key (expected one of max_connections, head_timeout, idle_timeout, "
     "max_request_line, max_header_bytes)"},
    {"http:\n  max_connections: 0\n",
     "test.yaml:2: http.max_connections: ", "out of range"},
    {"http:\n  head_timeout: 0s\n",
     "test.yaml:2: http.head_timeout: ", "must be longer than zero"},
    {"http:\n  idle_timeout: 60\n", "test.yaml:2: http.idle_timeout: ", "missing unit"},
    {"http:\n  max_request_line: 8KB\n",
     "test.yaml:2: http.max_request_line: ", "invalid size '8KB'"},
    {"http:\n  max_request_line: 10\n", "test.yaml:2: http.max_request_line: ",
     "out of range (expected a size in bytes such as 8KiB, 64..1048576)"},
    {"http:\n  max_header_bytes: 2MiB\n",
     "test.yaml:2: http.max_header_bytes: ", "out of range"},
    {"http:\n  max_header_bytes: -1\n",
     "test.yaml:2: http.max_header_bytes: ", "invalid size"},
    {"http:\n  max_request_line: 16KiB\n  max_header_bytes: 8KiB\n",
     "test.yaml:2: http: ",
     "max_request_line (16384) is larger than max_header_bytes (8192)"},
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

}  // namespace
}  // namespace fibd
