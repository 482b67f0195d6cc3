// The D-Bus control API: org.fibd.Fibd1 on /org/fibd/Fibd1, interface
// org.fibd.Fibd1.Manager (methods Reload and ReloadPlugin, live properties,
// the PluginChanged signal). A thin adapter over Control; sdbus-c++ stays out
// of this header.
#pragma once

#include <cstddef>
#include <memory>

#include "config/config.h"
#include "control/control.h"

namespace fibd {

inline constexpr const char* kDBusName = "org.fibd.Fibd1";
inline constexpr const char* kDBusObjectPath = "/org/fibd/Fibd1";
inline constexpr const char* kDBusInterface = "org.fibd.Fibd1.Manager";
inline constexpr const char* kDBusErrorConfigInvalid =
    "org.fibd.Fibd1.Error.ConfigInvalid";
inline constexpr const char* kDBusErrorPluginLoadFailed =
    "org.fibd.Fibd1.Error.PluginLoadFailed";

// Owns one bus connection, the exported object and the thread that runs the
// connection's event loop.
//
// Construction connects, registers the object, requests the name and starts
// the event-loop thread; it blocks only for that (a few round trips to the
// bus, each bounded by a short timeout). If the bus cannot be reached or the
// name cannot be owned, it logs a warning and the service stays inactive:
// nothing is thrown for that. BusKind::None does nothing at all.
//
// Reload/ReloadPlugin are asynchronous methods: the call is handed to
// Control::request_reload() and the D-Bus reply is sent from the `done`
// callback, on whatever thread runs it. The event-loop thread never waits for
// a reload. At most kMaxPendingReloads calls wait for their reply at once;
// past that a caller gets org.freedesktop.DBus.Error.LimitsExceeded at once.
//
// If the bus goes away later (dbus-daemon stopped), the loop thread logs a
// warning and ends; the service turns inactive and everything else keeps
// working. There is no reconnection.
//
// The destructor stops the loop thread, answers calls still waiting for a
// reload with org.freedesktop.DBus.Error.Failed ("fibd is shutting down"),
// and closes the connection. `control` must outlive the DBusService. The
// plugin-changed listener registered with `control` may outlive it and is a
// no-op after destruction. Not copyable or movable; all const members are
// thread-safe.
class DBusService {
 public:
  static constexpr std::size_t kMaxPendingReloads = 32;

  DBusService(BusKind bus, Control& control);
  ~DBusService();

  DBusService(const DBusService&) = delete;
  DBusService& operator=(const DBusService&) = delete;

  // True while connected and owning the name.
  bool active() const;

  struct State;  // implementation detail, shared with callbacks

 private:
  std::shared_ptr<State> state_;
};

}  // namespace fibd
