// A running plugin instance behind the Cache seam: the C ABI calls, the
// capability rules (a mutex unless the plugin is thread-safe), and the
// ownership of the instance and of its image.
#pragma once

#include <fibd/cache_plugin.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin_host/cache.h"
#include "plugin_host/descriptor_check.h"
#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_image.h"

namespace fibd {

class PluginCache final : public Cache {
 public:
  using Options = std::vector<std::pair<std::string, std::string>>;

  // Calls the plugin's create() with `options` and `default_ttl`. Throws
  // CacheLoadError with the plugin's own message when create() fails.
  static std::shared_ptr<PluginCache> start(std::unique_ptr<PluginImage> image,
                                            PluginDescriptor descriptor,
                                            const Options& options,
                                            std::chrono::milliseconds default_ttl);

  // Calls destroy() exactly once, then unloads the image.
  ~PluginCache() override;

  PluginCache(const PluginCache&) = delete;
  PluginCache& operator=(const PluginCache&) = delete;

  // Cache
  const std::string& name() const override { return descriptor_.name; }
  const std::string& version() const override { return descriptor_.version; }
  const std::string& path() const override { return image_->path(); }
  bool non_blocking() const override { return descriptor_.non_blocking(); }
  FileIdentity file_identity() const override { return image_->identity(); }
  CacheOutcome get(std::string_view key, std::string& value, std::string& error) override;
  bool set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
           std::string& error) override;

  // The whole descriptor as copied at load, and where the image lives.
  const PluginDescriptor& descriptor() const { return descriptor_; }
  const std::string& load_path() const { return image_->load_path(); }

  // The ABI calls with their exact status, for the conformance checker and
  // tests. Contract violations (invalid status, HIT without a value, an
  // exception escaping the plugin) come back as FIBD_CACHE_ERROR with
  // "contract violation: ..." in error. del/clear/stats return ERROR when the
  // plugin does not offer them.
  fibd_cache_status get_status(std::string_view key, std::string& value,
                               std::string& error);
  fibd_cache_status set_status(std::string_view key, std::string_view value,
                               std::uint64_t ttl_ms, std::string& error);
  fibd_cache_status del(std::string_view key, std::string& error);
  fibd_cache_status clear(std::string& error);
  fibd_cache_status stats(std::vector<std::pair<std::string, std::uint64_t>>& out,
                          std::string& error);

 private:
  PluginCache(std::unique_ptr<PluginImage> image, PluginDescriptor descriptor);
  std::unique_lock<std::mutex> lock();

  // Declaration order is destruction order in reverse: the image goes last.
  std::unique_ptr<PluginImage> image_;
  PluginDescriptor descriptor_;
  PluginHost host_;
  void* instance_ = nullptr;
  std::mutex mutex_;  // serialises calls unless the plugin is thread-safe
};

}  // namespace fibd
