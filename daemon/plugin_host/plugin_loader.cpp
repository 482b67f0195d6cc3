#include "plugin_host/plugin_loader.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "base/log.h"
#include "config/names.h"
#include "plugin_host/cache_factory.h"
#include "plugin_host/descriptor_check.h"
#include "plugin_host/plugin_image.h"

namespace fibd {

namespace {

std::string absolute(const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec);
    if (ec) throw CacheLoadError("cannot resolve " + path + ": " + ec.message());
    p = cwd / p;
  }
  return p.lexically_normal().string();
}

void check_options(const PluginLoadRequest& r) {
  std::set<std::string> seen;
  for (const auto& [key, value] : r.options) {
    if (key.empty()) throw CacheLoadError("cache.options: an option key is empty");
    if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      throw CacheLoadError("cache.options: option '" + key.substr(0, key.find('\0')) +
                           "' contains a NUL byte");
    }
    if (!seen.insert(key).second) {
      throw CacheLoadError("cache.options: option '" + key + "' is given twice");
    }
  }
}

}  // namespace

std::string resolve_plugin_path(const std::string& plugin,
                                const std::string& plugin_dir) {
  if (plugin.empty()) {
    throw CacheLoadError(
        "cache.plugin is empty: use none, a plugin name, or the path of a .so");
  }
  if (plugin.find('/') != std::string::npos) return absolute(plugin);
  if (auto problem = plugin_name_problem(plugin)) {
    throw CacheLoadError("cache.plugin: " + *problem);
  }
  if (plugin_dir.empty()) {
    throw CacheLoadError("cache.plugin '" + plugin +
                         "' is a name, but cache.plugin_dir is empty");
  }
  std::string file = plugin;
  if (file.size() < 3 || file.compare(file.size() - 3, 3, ".so") != 0) file += ".so";
  return absolute(plugin_dir + "/" + file);
}

std::shared_ptr<PluginCache> load_plugin(const PluginLoadRequest& request) {
  auto started = std::chrono::steady_clock::now();
  const std::string path = absolute(request.path);
  if (auto problem = factory_symbol_problem(request.factory)) {
    throw CacheLoadError("cache.factory: " + *problem);
  }
  check_options(request);

  std::unique_ptr<PluginImage> image = PluginImage::open(path, request.trust_check);
  auto fail = [&path](const std::string& why) {
    return CacheLoadError("cannot load cache plugin " + path + ": " + why);
  };

  void* symbol = image->symbol(request.factory);
  if (symbol == nullptr) {
    throw fail("it does not export the factory symbol '" + request.factory +
               "' (cache.factory names the symbol to look up)");
  }
  std::string why;
  std::optional<PluginDescriptor> copy =
      read_descriptor(reinterpret_cast<fibd_cache_factory_fn>(symbol), request.factory,
                      why, FIBD_CACHE_ABI_VERSION, request.inspect_descriptor);
  if (!copy) throw fail(why);
  if (request.adjust_descriptor) request.adjust_descriptor(*copy);
  auto cache =
      PluginCache::start(std::move(image), std::move(*copy), request.options,
                         request.default_ttl, request.call_timeout, request.shape);
  auto elapsed = std::chrono::duration<double, std::milli>(
      std::chrono::steady_clock::now() - started);
  const PluginDescriptor& d = cache->descriptor();
  spdlog::default_logger()->info(
      "loaded cache plugin {} {} ({}) from {} in {:.2f} ms", d.name, d.version,
      describe_capabilities(d.capabilities, d.required_features), path, elapsed.count());
  return cache;
}

}  // namespace fibd
