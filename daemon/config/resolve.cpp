// The effective configuration: the file (or the built-in defaults), then
// the command line's flags over it.
#include <sys/stat.h>

#include <cerrno>

#include "config/config.h"

namespace fibd {

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
