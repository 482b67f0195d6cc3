// What the D-Bus object (and anything else that controls fibd) sees of the
// running daemon. The application implements it; dbus_service.cpp adapts it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace fibd {

struct ReloadResult {
  enum class Kind { Ok, ConfigInvalid, PluginLoadFailed };
  Kind kind = Kind::Ok;
  std::string message;  // human-readable; for ConfigInvalid it names file:line
  bool ok() const { return kind == Kind::Ok; }
};

struct StatusSnapshot {
  std::string version;
  std::string plugin_name;
  std::string plugin_version;
  std::string plugin_path;
  std::string listen;
  std::uint64_t requests = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_errors = 0;
  std::uint64_t reloads = 0;
};

class Control {
 public:
  virtual ~Control() = default;

  // Starts a reload and returns at once. reread_config: Reload (re-read the
  // config file and apply it); otherwise ReloadPlugin (re-open the configured
  // plugin). `done` runs exactly once, on some thread other than the caller's,
  // after the swap (or the failure) is complete. Reloads are serialised.
  virtual void request_reload(bool reread_config,
                              std::function<void(const ReloadResult&)> done) = 0;

  // Thread-safe; cheap enough to call per property read.
  virtual StatusSnapshot snapshot() const = 0;

  // Called (from any thread) after every successful plugin swap.
  using PluginChangedListener = std::function<void(
      const std::string& name, const std::string& version, const std::string& path)>;
  virtual void on_plugin_changed(PluginChangedListener listener) = 0;
};

}  // namespace fibd
