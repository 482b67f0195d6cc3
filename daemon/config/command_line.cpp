// The command line: GNU long options, single-dash forms accepted too
// (getopt_long_only), so the seed's "-port=8080 -log-level=debug" works.
#include <getopt.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_checks.h"

namespace fibd {
namespace {

enum Option : int {
  kConfig = 1000,
  kListen,
  kPort,
  kLogLevel,
  kCachePluginPath,
  kCacheFactoryName,
  kCacheExpiration,
  kBus,
  kCheckConfig,
  kVersion,
  kHelp,
};

constexpr option kOptions[] = {
    {"config", required_argument, nullptr, kConfig},
    {"listen", required_argument, nullptr, kListen},
    {"port", required_argument, nullptr, kPort},
    {"log-level", required_argument, nullptr, kLogLevel},
    {"cache-plugin-path", required_argument, nullptr, kCachePluginPath},
    {"cache-plugin-factory-name", required_argument, nullptr, kCacheFactoryName},
    {"cache-expiration", required_argument, nullptr, kCacheExpiration},
    {"bus", required_argument, nullptr, kBus},
    {"check-config", no_argument, nullptr, kCheckConfig},
    {"version", no_argument, nullptr, kVersion},
    {"help", no_argument, nullptr, kHelp},
    {nullptr, 0, nullptr, 0},
};

const option* find_option(int val) {
  for (const option* o = kOptions; o->name != nullptr; ++o) {
    if (o->val == val) return o;
  }
  return nullptr;
}

std::string program_name(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr || argv[0][0] == '\0') return "fibd";
  const char* slash = std::strrchr(argv[0], '/');
  return slash != nullptr ? slash + 1 : argv[0];
}

// Paths given on the command line are relative to the directory fibd was
// started in; make them absolute now so a later reload (or chdir) reads the
// same files.
std::string absolute_path(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

// The offending word of an option error, without any "=value".
std::string option_word(const char* arg) {
  std::string word = arg != nullptr ? arg : "";
  if (const auto eq = word.find('='); eq != std::string::npos) word.resize(eq);
  return word;
}

// Long options that `word` ("-c", "--cache-p") abbreviates, for a clear
// "ambiguous" message.
std::vector<std::string> matches_of(const std::string& word) {
  const std::string bare = word.substr(word.find_first_not_of('-') == std::string::npos
                                           ? word.size()
                                           : word.find_first_not_of('-'));
  std::vector<std::string> out;
  if (bare.empty()) return out;
  for (const option* o = kOptions; o->name != nullptr; ++o) {
    if (std::strncmp(o->name, bare.c_str(), bare.size()) == 0) {
      out.push_back(std::string("--") + o->name);
    }
  }
  return out;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  const std::string hint =
      "\nTry '" + program_name(argc, argv) + " --help' for more information.";
  CommandLine cl;

  // getopt keeps global state: optind = 0 makes glibc start afresh (tests
  // parse several command lines in one process). Messages are ours: opterr 0.
  optind = 0;
  opterr = 0;
  while (true) {
    const int c = getopt_long_only(argc, argv, ":", kOptions, nullptr);
    if (c == -1) break;
    const char* previous = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : nullptr;

    if (c == ':') {
      const option* o = find_option(optopt);
      throw ConfigError("option '--" + std::string(o != nullptr ? o->name : "?") +
                        "' needs a value" + hint);
    }
    if (c == '?') {
      if (const option* o = find_option(optopt); o != nullptr) {
        throw ConfigError("option '--" + std::string(o->name) + "' takes no value" +
                          hint);
      }
      const std::string word = option_word(previous);
      const auto candidates = matches_of(word);
      if (candidates.size() > 1) {
        std::string list;
        for (const auto& name : candidates) list += (list.empty() ? "" : ", ") + name;
        throw ConfigError("ambiguous option '" + word + "' (could be " + list + ")" +
                          hint);
      }
      throw ConfigError("unknown option '" + word + "'" + hint);
    }

    const option* o = find_option(c);
    const std::string value = optarg != nullptr ? optarg : "";
    try {
      switch (c) {
        case kConfig:
          if (value.empty()) throw ConfigError("empty path (expected a YAML file)");
          cl.config_path = absolute_path(value);
          break;
        case kListen:
          parse_listen(value);
          cl.listen = value;
          break;
        case kPort:
          cl.port = static_cast<std::uint16_t>(
              detail::parse_unsigned(value, 1, 65535, "expected a port 1..65535"));
          break;
        case kLogLevel:
          cl.log_level = detail::parse_log_level_or_throw(value);
          break;
        case kCachePluginPath: {
          // With a '/', it is a file path (the seed's ./memory.so); without,
          // it means what cache.plugin means (none, or a name in plugin_dir).
          const bool is_path = value.find('/') != std::string::npos;
          const std::string plugin = is_path ? absolute_path(value) : value;
          detail::check_plugin(plugin);
          cl.cache_plugin_path = plugin;
          break;
        }
        case kCacheFactoryName:
          detail::check_factory(value);
          cl.cache_factory = value;
          break;
        case kCacheExpiration:
          cl.cache_expiration = parse_duration(value);
          break;
        case kBus:
          cl.bus = detail::parse_bus_or_throw(value);
          break;
        case kCheckConfig:
          cl.check_config = true;
          break;
        case kVersion:
          cl.version = true;
          break;
        case kHelp:
          cl.help = true;
          break;
        default:
          throw ConfigError("unexpected option");
      }
    } catch (const ConfigError& e) {
      throw ConfigError("--" + std::string(o != nullptr ? o->name : "?") + ": " +
                        e.what() + hint);
    } catch (const std::filesystem::filesystem_error& e) {
      throw ConfigError("--" + std::string(o != nullptr ? o->name : "?") + ": " +
                        e.what() + hint);
    }
  }
  if (optind < argc) {
    throw ConfigError("unexpected argument '" + std::string(argv[optind]) +
                      "' (fibd takes only options)" + hint);
  }
  return cl;
}

std::string usage_text(const char* argv0) {
  std::string name = "fibd";
  if (argv0 != nullptr && argv0[0] != '\0') {
    const char* slash = std::strrchr(argv0, '/');
    name = slash != nullptr ? slash + 1 : argv0;
  }
  return "Usage: " + name + R"( [OPTION]...
Serve exact Fibonacci numbers over HTTP: GET /fib/{n}.

Options (a single dash works too, e.g. -port=8080; values may follow '=' or a space):
  --config PATH                    configuration file (default: /etc/fibd.yaml if it
                                   exists, else built-in defaults)
  --listen HOST:PORT               address to listen on, e.g. 127.0.0.1:8080,
                                   0.0.0.0:8080 or [::1]:8080
  --port N                         port to listen on, keeping the host of listen
  --log-level LEVEL                trace, debug, info, warn, error, critical or off
  --cache-plugin-path PLUGIN       none, a plugin name in cache.plugin_dir, or the
                                   path of a plugin .so
  --cache-plugin-factory-name SYM  factory symbol exported by the plugin
                                   (default: fibd_cache_plugin)
  --cache-expiration DURATION      cache entry lifetime, e.g. 500ms, 15s, 1m30s, 2h
                                   (0: entries never expire)
  --bus BUS                        D-Bus bus for the control API: system, session
                                   or none
  --check-config                   validate the configuration, then exit 0 if it is
                                   valid, 1 if not
  --version                        print the version and exit
  --help                           print this help and exit

Options override the configuration file. See fibd(8) and fibd.yaml(5).
)";
}

}  // namespace fibd
