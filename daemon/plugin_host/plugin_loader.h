// Loading a cache plugin: from a file path to a running PluginCache, with a
// message that says exactly what is wrong when anything is.
//
//   file checks, memfd copy, dlopen   plugin_image.h (+ elf_check.h, plugin_trust.h)
//   factory symbol, descriptor         descriptor_check.h
//   create(), calls, destroy, dlclose  plugin_cache.h (+ plugin_host.h)
#pragma once

#include <fibd/cache_plugin.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plugin_host/plugin_cache.h"

namespace fibd {

struct PluginLoadRequest {
  std::string path;  // the .so; relative paths are taken from the working directory
  std::string factory = FIBD_CACHE_DEFAULT_FACTORY;
  bool trust_check = true;
  std::vector<std::pair<std::string, std::string>> options;
  std::chrono::milliseconds default_ttl{0};  // fibd_cache_config.default_ttl_ms
  // The deadline a cache call gets (fibd_cache_config.call_timeout_ns).
  std::chrono::milliseconds call_timeout{1000};
  // How the host presents itself (fibd-plugin-check varies it).
  HostShape shape;
  // fibd-plugin-check's hooks: the descriptor as the factory returned it,
  // before it is validated; and the host's copy, before create(), which the
  // hook may change (to trace which entry point runs).
  std::function<void(const fibd_cache_descriptor&)> inspect_descriptor;
  std::function<void(PluginDescriptor&)> adjust_descriptor;
};

// Where cache.plugin points, as an absolute path: a bare name ("memory", or
// "memory.so") is plugin_dir/NAME.so; anything with a '/' is a path, relative
// ones taken from the working directory. Throws CacheLoadError for an empty
// value or a name that cannot be a file name. ("none" is the caller's.)
std::string resolve_plugin_path(const std::string& plugin, const std::string& plugin_dir);

// Loads the file, checks it, and starts one instance. Every call loads a new,
// independent image (see plugin_image.h), so the previous instance can keep
// serving while the next one starts. Throws CacheLoadError.
std::shared_ptr<PluginCache> load_plugin(const PluginLoadRequest& request);

}  // namespace fibd
