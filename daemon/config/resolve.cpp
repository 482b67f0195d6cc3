// Reading the config file, and the effective configuration: the file (or
// the built-in defaults), then the command line's flags over it.
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/config.h"

namespace fibd {

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
