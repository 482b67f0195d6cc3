#include "plugin_host/cache_factory.h"

#include <sys/stat.h>

#include <cerrno>

#include "plugin_host/near_cache.h"
#include "plugin_host/plugin_loader.h"
#include "plugin_host/plugin_reaper.h"

namespace fibd {

std::shared_ptr<Cache> open_cache(const CacheSettings& settings, PluginReaper* reaper,
                                  std::chrono::milliseconds call_timeout) {
  if (settings.plugin == "none") return make_none_cache();

  PluginLoadRequest request;
  request.path = resolve_plugin_path(settings.plugin, settings.plugin_dir);
  request.factory = settings.factory;
  request.trust_check = settings.trust_check;
  request.options = settings.options;
  request.default_ttl = settings.expiration;
  request.call_timeout = call_timeout;
  try {
    std::shared_ptr<Cache> cache = load_plugin(request);
    // The near tier holds the plugin: both are retired together.
    if (settings.near_max_bytes > 0) {
      cache =
          make_near_cache(std::move(cache), settings.near_max_bytes, settings.expiration);
    }
    return reaper ? reaper->adopt(std::move(cache)) : cache;
  } catch (const CacheLoadError& e) {
    // A bare name that matches no file: say where it was looked for.
    struct stat st {};
    bool by_name = settings.plugin.find('/') == std::string::npos;
    if (by_name && ::stat(request.path.c_str(), &st) != 0 && errno == ENOENT) {
      std::string name = settings.plugin;
      if (name.size() > 3 && name.ends_with(".so")) name.resize(name.size() - 3);
      throw CacheLoadError(std::string(e.what()) + " (cache.plugin '" + settings.plugin +
                           "' is looked up in cache.plugin_dir " + settings.plugin_dir +
                           "; install the package that provides it, e.g. fibd-plugin-" +
                           name + ", or set cache.plugin to another plugin or none)");
    }
    throw;
  }
}

}  // namespace fibd
