#include "config/config.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>

#include "config/config_checks.h"

namespace fibd {

std::uint64_t Config::effective_max_n() const {
  return algorithm == Algorithm::Naive ? std::min(max_n, kNaiveMaxN) : max_n;
}

unsigned Config::effective_workers() const {
  if (workers != 0) return workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

// ---------------------------------------------------------------------------
// Enumerations.

namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::pair<Enum, const char*> (&table)[N],
                           const std::string& text) {
  const std::string key = lowercase(text);
  for (const auto& [value, name] : table) {
    if (key == name) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string name_of(const std::pair<Enum, const char*> (&table)[N], Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::string names_of(const std::pair<Enum, const char*> (&table)[N]) {
  std::string out;
  for (const auto& [v, name] : table) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

constexpr std::pair<LogLevel, const char*> kLogLevels[] = {
    {LogLevel::Trace, "trace"}, {LogLevel::Debug, "debug"},
    {LogLevel::Info, "info"},   {LogLevel::Warn, "warn"},
    {LogLevel::Error, "error"}, {LogLevel::Critical, "critical"},
    {LogLevel::Off, "off"}};
constexpr std::pair<Algorithm, const char*> kAlgorithms[] = {{Algorithm::Fast, "fast"},
                                                             {Algorithm::Naive, "naive"}};
constexpr std::pair<BusKind, const char*> kBuses[] = {
    {BusKind::System, "system"}, {BusKind::Session, "session"}, {BusKind::None, "none"}};

}  // namespace

std::string to_string(LogLevel level) { return name_of(kLogLevels, level); }
std::optional<LogLevel> parse_log_level(const std::string& text) {
  return lookup(kLogLevels, text);
}
std::string to_string(Algorithm algorithm) { return name_of(kAlgorithms, algorithm); }
std::optional<Algorithm> parse_algorithm(const std::string& text) {
  return lookup(kAlgorithms, text);
}
std::string to_string(BusKind bus) { return name_of(kBuses, bus); }
std::optional<BusKind> parse_bus(const std::string& text) { return lookup(kBuses, text); }

// ---------------------------------------------------------------------------
// Value checks.

namespace detail {

std::uint64_t parse_unsigned(const std::string& text, std::uint64_t min,
                             std::uint64_t max, const std::string& expected) {
  const std::string tail = " (" + expected + ")";
  if (text.empty()) throw ConfigError("empty value" + tail);
  const bool negative = text[0] == '-' && text.size() > 1;
  const std::string_view digits = negative ? std::string_view(text).substr(1) : text;
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    throw ConfigError("'" + text + "' is not a whole number" + tail);
  }
  if (negative) throw ConfigError("'" + text + "' is negative" + tail);
  std::uint64_t value = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(value, 10u, &value) ||
        __builtin_add_overflow(value, static_cast<unsigned>(c - '0'), &value)) {
      throw ConfigError("'" + text + "' is out of range" + tail);
    }
  }
  if (value < min || value > max) {
    throw ConfigError("'" + text + "' is out of range" + tail);
  }
  return value;
}

void check_plugin(const std::string& plugin) {
  const std::string tail =
      " (expected none, a plugin name in cache.plugin_dir, or an absolute path to a "
      ".so)";
  if (plugin.empty()) throw ConfigError("empty plugin" + tail);
  if (plugin.find('\0') != std::string::npos) {
    throw ConfigError("plugin contains a NUL character" + tail);
  }
  if (plugin == "none" || plugin[0] == '/') return;
  if (plugin.find('/') != std::string::npos) {
    throw ConfigError("'" + plugin + "' is a relative path" + tail);
  }
  const bool valid_name = plugin != "." && plugin != ".." &&
                          std::all_of(plugin.begin(), plugin.end(), [](unsigned char c) {
                            return std::isalnum(c) || c == '_' || c == '.' || c == '-';
                          });
  if (!valid_name) {
    throw ConfigError("'" + plugin +
                      "' is not a valid plugin name (expected none, a name made of "
                      "A-Z a-z 0-9 _ . -, or an absolute path to a .so)");
  }
}

void check_plugin_dir(const std::string& dir) {
  const std::string tail = " (expected an absolute directory path)";
  if (dir.empty()) throw ConfigError("empty directory" + tail);
  if (dir.find('\0') != std::string::npos) {
    throw ConfigError("directory contains a NUL character" + tail);
  }
  if (dir[0] != '/') throw ConfigError("'" + dir + "' is a relative path" + tail);
}

void check_factory(const std::string& symbol) {
  const std::string tail = " (expected a C identifier such as fibd_cache_plugin)";
  if (symbol.empty()) throw ConfigError("empty symbol name" + tail);
  const auto ident = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  if (std::isdigit(static_cast<unsigned char>(symbol[0])) ||
      !std::all_of(symbol.begin(), symbol.end(), ident)) {
    throw ConfigError("'" + symbol + "' is not a valid symbol name" + tail);
  }
}

LogLevel parse_log_level_or_throw(const std::string& text) {
  if (auto level = parse_log_level(text)) return *level;
  throw ConfigError("unknown log level '" + text + "' (expected one of " +
                    names_of(kLogLevels) + ")");
}

Algorithm parse_algorithm_or_throw(const std::string& text) {
  if (auto algorithm = parse_algorithm(text)) return *algorithm;
  throw ConfigError("unknown algorithm '" + text + "' (expected one of " +
                    names_of(kAlgorithms) + ")");
}

BusKind parse_bus_or_throw(const std::string& text) {
  if (auto bus = parse_bus(text)) return *bus;
  throw ConfigError("unknown bus '" + text + "' (expected one of " + names_of(kBuses) +
                    ")");
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Listen addresses.

namespace {

bool is_ipv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner '-'.
bool is_hostname(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label = std::string_view(host).substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (unsigned char c : label) {
      if (!std::isalnum(c) && c != '-') return false;
    }
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

ListenAddress parse_listen(const std::string& text) {
  const std::string tail =
      " (expected host:port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080)";
  const std::string quoted = "'" + text + "'";
  if (text.empty()) throw ConfigError("empty address" + tail);
  // inet_pton() reads a C string: "[::1<NUL>junk]:80" would pass as ::1.
  if (text.find('\0') != std::string::npos) {
    throw ConfigError("the address contains a NUL character" + tail);
  }

  ListenAddress address;
  std::string port;
  if (text[0] == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos)
      throw ConfigError(quoted + " lacks a closing ']'" + tail);
    address.host = text.substr(1, close - 1);
    if (!is_ipv6(address.host)) {
      throw ConfigError("'" + address.host + "' in " + quoted +
                        " is not an IPv6 address" + tail);
    }
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      throw ConfigError(quoted + " has no port" + tail);
    }
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) throw ConfigError(quoted + " has no port" + tail);
    address.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (address.host.find(':') != std::string::npos) {
      throw ConfigError("the IPv6 address in " + quoted +
                        " needs brackets (expected e.g. [::1]:8080)");
    }
    if (address.host.empty()) throw ConfigError(quoted + " has no host" + tail);
    const bool looks_numeric =
        std::all_of(address.host.begin(), address.host.end(),
                    [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (looks_numeric ? !is_ipv4(address.host) : !is_hostname(address.host)) {
      throw ConfigError("'" + address.host + "' in " + quoted +
                        " is not a valid IPv4 address or host name" + tail);
    }
  }
  if (port.empty()) throw ConfigError(quoted + " has no port" + tail);
  try {
    address.port = static_cast<std::uint16_t>(
        detail::parse_unsigned(port, 1, 65535, "expected a port 1..65535"));
  } catch (const ConfigError& e) {
    throw ConfigError("port of " + quoted + ": " + e.what());
  }
  return address;
}

std::string format_listen(const ListenAddress& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" +
         std::to_string(address.port);
}

// ---------------------------------------------------------------------------
// The YAML file.

namespace {

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "no value";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "an undefined value";
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// One key: value pair being read.
struct Entry {
  YAML::Node value;
  std::string path;  // e.g. "fib.max_n"
  int line;          // 0-based; of the value, or of the key when it has none
};

// The first two documents of a YAML stream: where each starts, and the line
// of its first node. yaml-cpp 0.7's YAML::LoadAll() never returns on some
// malformed streams (a stray ',' at the top level): its parser then yields
// empty documents forever without consuming input, and memory grows until
// the process dies (upstream issue 1040; found by fuzz_config). Here the
// loop is bounded, and a second document that starts where the first did
// means the parser is stuck.
struct DocumentStart {
  YAML::Mark start;
  int first_line = -1;  // of the document's first node
};

class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<DocumentStart> docs;
  void OnDocumentStart(const YAML::Mark& mark) override { docs.push_back({mark}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (!docs.empty() && docs.back().first_line < 0 && !mark.is_null()) {
      docs.back().first_line = mark.line;
    }
  }
};

std::vector<DocumentStart> document_starts(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  while (handler.docs.size() < 2 && parser.HandleNextDocument(handler)) {
  }
  return std::move(handler.docs);
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Config parse(const std::string& text) {
    YAML::Node root;
    try {
      const std::vector<DocumentStart> docs = document_starts(text);
      config_.source = source_;
      if (docs.empty()) return config_;
      if (docs.size() > 1) {
        const YAML::Mark& at = docs[1].start;
        if (at.pos <= docs[0].start.pos) {
          const std::size_t pos = static_cast<std::size_t>(std::max(at.pos, 0));
          const unsigned char c = pos < text.size() ? static_cast<unsigned char>(text[pos]) : 0;
          fail(at.line, "",
               c >= 0x21 && c < 0x7f
                   ? std::string("YAML syntax error: unexpected '") + static_cast<char>(c) + "'"
                   : std::string("YAML syntax error: unexpected content"));
        }
        fail(docs[1].first_line >= 0 ? docs[1].first_line : at.line, "",
             "more than one YAML document (expected a single mapping of settings)");
      }
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(e.mark.is_null() ? -1 : e.mark.line, "", "YAML syntax error: " + e.msg);
    }
    if (root.IsNull()) return config_;
    if (!root.IsMap()) {
      fail(line_of(root, 0), "",
           "the top level is " + describe(root) +
               " (expected a mapping of settings such as listen: \"127.0.0.1:8080\")");
    }
    read_top(root);
    return config_;
  }

 private:
  using Handler = std::function<void(const Entry&)>;
  using Handlers = std::vector<std::pair<std::string, Handler>>;

  [[noreturn]] void fail(int line, const std::string& path,
                         const std::string& what) const {
    std::string message = source_;
    if (line >= 0) message += ":" + std::to_string(line + 1);
    message += ": ";
    if (!path.empty()) message += path + ": ";
    throw ConfigError(message + what);
  }

  static int line_of(const YAML::Node& node, int fallback) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? fallback : mark.line;
  }

  // Runs a value check, turning its ConfigError into a located one.
  template <typename F>
  auto checked(const Entry& e, F&& check) const -> decltype(check()) {
    try {
      return check();
    } catch (const ConfigError& err) {
      fail(e.line, e.path, err.what());
    }
  }

  // Every key of `map` (a mapping) must be a distinct plain name with a handler.
  void walk(const YAML::Node& map, const std::string& path, const Handlers& handlers) {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      const int key_line = line_of(key, line_of(map, 0));
      if (!key.IsScalar() || key.Scalar().empty()) {
        fail(key_line, path.empty() ? "(top level)" : path,
             "key " + describe(key) + " is not a plain name (expected one of " +
                 key_names(handlers) + ")");
      }
      const std::string name = key.Scalar();
      const std::string key_path = join_path(path, name);
      if (auto [first, inserted] = seen.emplace(name, key_line); !inserted) {
        fail(key_line, key_path,
             "duplicate key (first set on line " + std::to_string(first->second + 1) +
                 ")");
      }
      const auto handler = std::find_if(handlers.begin(), handlers.end(),
                                        [&](const auto& h) { return h.first == name; });
      if (handler == handlers.end()) {
        fail(key_line, key_path,
             "unknown key (expected one of " + key_names(handlers) + ")");
      }
      const YAML::Node value = it->second;
      handler->second(
          Entry{value, key_path, value.IsNull() ? key_line : line_of(value, key_line)});
    }
  }

  static std::string key_names(const Handlers& handlers) {
    std::string out;
    for (const auto& [name, handler] : handlers) {
      if (!out.empty()) out += ", ";
      out += name;
    }
    return out;
  }

  // A nested section: a mapping, or nothing at all (every key commented out).
  void section(const Entry& e, const Handlers& handlers) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      fail(e.line, e.path,
           "got " + describe(e.value) + " (expected a mapping with keys " +
               key_names(handlers) + ")");
    }
    walk(e.value, e.path, handlers);
  }

  std::string scalar(const Entry& e, const std::string& expected) const {
    if (e.value.IsNull()) fail(e.line, e.path, "no value (expected " + expected + ")");
    if (!e.value.IsScalar()) {
      fail(e.line, e.path, "got " + describe(e.value) + " (expected " + expected + ")");
    }
    return e.value.Scalar();
  }

  std::uint64_t integer(const Entry& e, std::uint64_t min, std::uint64_t max,
                        const std::string& expected) const {
    const std::string text = scalar(e, expected);
    return checked(e, [&] {
      return detail::parse_unsigned(text, min, max, "expected " + expected);
    });
  }

  bool boolean(const Entry& e) const {
    const std::string expected = "true or false";
    const std::string text = lowercase(scalar(e, expected));
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    fail(e.line, e.path,
         "'" + e.value.Scalar() + "' is not a boolean (expected " + expected + ")");
  }

  std::chrono::milliseconds duration(const Entry& e, bool allow_zero) const {
    const std::string text = scalar(e, "a duration such as 15s or 1m30s");
    const auto d = checked(e, [&] { return parse_duration(text); });
    if (!allow_zero && d.count() == 0) {
      fail(e.line, e.path, "must be longer than zero (expected a duration such as 30s)");
    }
    return d;
  }

  void read_top(const YAML::Node& root) {
    walk(root, "",
         {{"listen",
           [this](const Entry& e) {
             const std::string text = scalar(e, "host:port, e.g. 127.0.0.1:8080");
             checked(e, [&] { return parse_listen(text); });
             config_.listen = text;
           }},
          {"log_level",
           [this](const Entry& e) {
             const std::string text = scalar(e, "a log level such as info");
             config_.log_level =
                 checked(e, [&] { return detail::parse_log_level_or_throw(text); });
           }},
          {"workers",
           [this](const Entry& e) {
             config_.workers = static_cast<unsigned>(integer(
                 e, 0, detail::kMaxWorkers,
                 "0 for one per CPU, or 1.." + std::to_string(detail::kMaxWorkers)));
           }},
          {"fib", [this](const Entry& e) { read_fib(e); }},
          {"limits", [this](const Entry& e) { read_limits(e); }},
          {"cache", [this](const Entry& e) { read_cache(e); }},
          {"dbus", [this](const Entry& e) { read_dbus(e); }}});
  }

  void read_fib(const Entry& section_entry) {
    section(section_entry,
            {{"algorithm",
              [this](const Entry& e) {
                const std::string text = scalar(e, "fast or naive");
                config_.algorithm =
                    checked(e, [&] { return detail::parse_algorithm_or_throw(text); });
              }},
             {"max_n", [this](const Entry& e) {
                config_.max_n = integer(e, 1, detail::kMaxMaxN,
                                        "1.." + std::to_string(detail::kMaxMaxN));
              }}});
  }

  void read_limits(const Entry& section_entry) {
    section(section_entry, {{"max_inflight",
                             [this](const Entry& e) {
                               config_.max_inflight = static_cast<unsigned>(
                                   integer(e, 1, detail::kMaxInflight,
                                           "1.." + std::to_string(detail::kMaxInflight)));
                             }},
                            {"compute_timeout", [this](const Entry& e) {
                               config_.compute_timeout = duration(e, false);
                             }}});
  }

  void read_cache(const Entry& section_entry) {
    CacheSettings& cache = config_.cache;
    section(
        section_entry,
        {{"plugin",
          [&](const Entry& e) {
            const std::string text = scalar(e, "none, a plugin name or an absolute path");
            checked(e, [&] { detail::check_plugin(text); });
            cache.plugin = text;
          }},
         {"plugin_dir",
          [&](const Entry& e) {
            const std::string text = scalar(e, "an absolute directory path");
            checked(e, [&] { detail::check_plugin_dir(text); });
            cache.plugin_dir = text;
          }},
         {"factory",
          [&](const Entry& e) {
            const std::string text = scalar(e, "a symbol name such as fibd_cache_plugin");
            checked(e, [&] { detail::check_factory(text); });
            cache.factory = text;
          }},
         {"trust_check", [&](const Entry& e) { cache.trust_check = boolean(e); }},
         {"expiration", [&](const Entry& e) { cache.expiration = duration(e, true); }},
         {"options", [&](const Entry& e) { read_options(e); }}});
  }

  void read_options(const Entry& e) {
    auto& options = config_.cache.options;
    options.clear();
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      fail(
          e.line, e.path,
          "got " + describe(e.value) + " (expected a mapping of option names to values)");
    }
    std::map<std::string, int> seen;
    for (auto it = e.value.begin(); it != e.value.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const int key_line = line_of(key, e.line);
      if (!key.IsScalar() || key.Scalar().empty()) {
        fail(key_line, e.path,
             "key " + describe(key) + " is not a plain name (expected a string)");
      }
      const std::string path = join_path(e.path, key.Scalar());
      if (auto [first, inserted] = seen.emplace(key.Scalar(), key_line); !inserted) {
        fail(key_line, path,
             "duplicate key (first set on line " + std::to_string(first->second + 1) +
                 ")");
      }
      const std::string expected =
          "a single value such as a string or number; write \"\" for an empty string";
      if (value.IsNull()) fail(key_line, path, "no value (expected " + expected + ")");
      if (!value.IsScalar()) {
        fail(line_of(value, key_line), path,
             "got " + describe(value) + " (expected " + expected + ")");
      }
      options.emplace_back(key.Scalar(), value.Scalar());
    }
  }

  void read_dbus(const Entry& section_entry) {
    section(section_entry, {{"bus", [this](const Entry& e) {
                               const std::string text =
                                   scalar(e, "system, session or none");
                               config_.bus = checked(
                                   e, [&] { return detail::parse_bus_or_throw(text); });
                             }}});
  }

  std::string source_;
  Config config_;
};

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source) {
  return Parser(source).parse(yaml_text);
}

Config load_config_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw ConfigError(path + ": is a directory (expected a YAML file)");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno != 0 ? errno : EIO;
    throw ConfigError(path + ": cannot open: " +
                      std::error_code(err, std::generic_category()).message());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": read error");
  return parse_config(text.str(), path);
}

// ---------------------------------------------------------------------------
// File plus flags.

Config resolve_config(const CommandLine& cl, const std::string& default_path) {
  Config config;
  if (cl.config_path) {
    config = load_config_file(*cl.config_path);
  } else {
    struct stat st {};
    const bool absent =
        ::stat(default_path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
    if (!absent) config = load_config_file(default_path);
  }

  if (cl.listen) config.listen = *cl.listen;
  if (cl.port) {
    ListenAddress address = parse_listen(config.listen);
    address.port = *cl.port;
    config.listen = format_listen(address);
  }
  if (cl.log_level) config.log_level = *cl.log_level;
  if (cl.cache_plugin_path) config.cache.plugin = *cl.cache_plugin_path;
  if (cl.cache_factory) config.cache.factory = *cl.cache_factory;
  if (cl.cache_expiration) config.cache.expiration = *cl.cache_expiration;
  if (cl.bus) config.bus = *cl.bus;
  return config;
}

}  // namespace fibd
