// The YAML file: strict reading of /etc/fibd.yaml into a Config, with every
// refusal naming file:line and the key.
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>

#include "config/config.h"
#include "config/config_checks.h"
#include "config/yaml_documents.h"

namespace fibd {

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

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Config parse(const std::string& text) {
    YAML::Node root;
    try {
      const std::vector<detail::DocumentStart> docs = detail::document_starts(text);
      config_.source = source_;
      if (docs.empty()) return config_;
      if (docs.size() > 1) {
        const YAML::Mark& at = docs[1].start;
        if (at.pos <= docs[0].start.pos) {
          const std::size_t pos = static_cast<std::size_t>(std::max(at.pos, 0));
          const unsigned char c =
              pos < text.size() ? static_cast<unsigned char>(text[pos]) : 0;
          fail(at.line, "",
               c >= 0x21 && c < 0x7f
                   ? std::string("YAML syntax error: unexpected '") +
                         static_cast<char>(c) + "'"
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
    const std::string text = detail::lowercase(scalar(e, expected));
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
          {"http", [this](const Entry& e) { read_http(e); }},
          {"dbus", [this](const Entry& e) { read_dbus(e); }}});
  }

  std::uint64_t byte_size(const Entry& e, std::uint64_t min, std::uint64_t max) const {
    const std::string expected = "a size in bytes such as 8KiB, " + std::to_string(min) +
                                 ".." + std::to_string(max);
    const std::uint64_t size =
        checked(e, [&] { return parse_size(scalar(e, expected)); });
    if (size < min || size > max) {
      fail(e.line, e.path,
           "'" + e.value.Scalar() + "' is out of range (expected " + expected + ")");
    }
    return size;
  }

  void read_http(const Entry& section_entry) {
    HttpSettings& http = config_.http;
    section(section_entry,
            {{"max_connections",
              [&](const Entry& e) {
                http.max_connections =
                    integer(e, 1, detail::kMaxConnections,
                            "1.." + std::to_string(detail::kMaxConnections));
              }},
             {"head_timeout",
              [&](const Entry& e) { http.head_timeout = duration(e, false); }},
             {"idle_timeout",
              [&](const Entry& e) { http.idle_timeout = duration(e, false); }},
             {"max_request_line",
              [&](const Entry& e) {
                http.max_request_line =
                    byte_size(e, detail::kMinRequestLine, detail::kMaxHead);
              }},
             {"max_header_bytes", [&](const Entry& e) {
                http.max_header_bytes =
                    byte_size(e, detail::kMinRequestLine, detail::kMaxHead);
              }}});
    if (http.max_request_line > http.max_header_bytes) {
      fail(section_entry.line, section_entry.path,
           "max_request_line (" + std::to_string(http.max_request_line) +
               ") is larger than max_header_bytes (" +
               std::to_string(http.max_header_bytes) +
               "), which also counts the request line");
    }
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
         {"near", [&](const Entry& e) { read_near(e); }},
         {"options", [&](const Entry& e) { read_options(e); }}});
  }

  void read_near(const Entry& section_entry) {
    section(section_entry, {{"max_bytes", [this](const Entry& e) {
                               const std::string text =
                                   scalar(e, "a size such as 64MiB, or 0 for none");
                               config_.cache.near_max_bytes =
                                   checked(e, [&] { return parse_size(text); });
                             }}});
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

}  // namespace fibd
