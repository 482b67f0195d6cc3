#include "control/dbus_service.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.h"
#include "control/bus_names.h"
#include "control/dbus_object.h"

namespace fibd {

namespace {

constexpr const char* kErrorFailed = "org.freedesktop.DBus.Error.Failed";
constexpr const char* kErrorLimitsExceeded = "org.freedesktop.DBus.Error.LimitsExceeded";
constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";

// Bounds the round trips made while starting (Hello is part of the
// connection; RequestName uses the default method-call timeout).
constexpr std::chrono::seconds kStartupCallTimeout{5};

// Only sdbus::Error may leave a callback: sdbus-c++ turns it into an error
// reply, while any other exception would unwind through sd-bus's C frames.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw dbus::error(kErrorFailed, e.what());
  } catch (...) {
    throw dbus::error(kErrorFailed, "unknown error");
  }
}

}  // namespace

struct DBusService::State {
  Control* control = nullptr;
  BusKind bus = BusKind::None;
  std::string address;  // for log messages

  std::unique_ptr<sdbus::IConnection> connection;
  std::unique_ptr<sdbus::IObject> object;
  std::thread loop;

  std::atomic<bool> active{false};

  // Threads other than the loop thread (reply senders, signal emitters) use
  // the connection only between enter() and leave(). The destructor closes
  // the gate and waits for them before tearing the connection down. enter()
  // never waits for anything but `use_mutex`, so a thread holding the
  // sdbus-c++ connection mutex can call it without risking a deadlock.
  std::mutex use_mutex;
  std::condition_variable use_cv;
  bool open = false;
  int users = 0;

  bool enter() {
    std::lock_guard lock(use_mutex);
    if (!open) return false;
    ++users;
    return true;
  }
  void leave() {
    std::lock_guard lock(use_mutex);
    if (--users == 0) use_cv.notify_all();
  }
  void close_gate() {
    std::unique_lock lock(use_mutex);
    open = false;
    use_cv.wait(lock, [this] { return users == 0; });
  }

  class Use {
   public:
    explicit Use(State& s) : s_(s), ok_(s.enter()) {}
    ~Use() {
      if (ok_) s_.leave();
    }
    explicit operator bool() const { return ok_; }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    State& s_;
    bool ok_;
  };

  // Calls waiting for their reload. A Result wraps the incoming message; it
  // must be destroyed (like any sdbus::Message) while the connection exists,
  // and never while holding pending_mutex: destroying or sending a message
  // takes the connection's mutex, which the loop thread holds while it runs
  // our callbacks (which take pending_mutex).
  std::mutex pending_mutex;
  std::unordered_map<std::uint64_t, sdbus::Result<>> pending;
  std::uint64_t next_id = 0;

  std::optional<sdbus::Result<>> take_pending(std::uint64_t id) {
    std::lock_guard lock(pending_mutex);
    auto it = pending.find(id);
    if (it == pending.end()) return std::nullopt;
    std::optional<sdbus::Result<>> r(std::move(it->second));
    pending.erase(it);
    return r;
  }

  // Loop thread: a Reload or ReloadPlugin call arrived.
  static void start_reload(const std::shared_ptr<State>& self, sdbus::Result<>&& result,
                           bool reread_config) {
    State& s = *self;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(s.pending_mutex);
      if (s.pending.size() < kMaxPendingReloads) {
        id = s.next_id++;
        s.pending.emplace(id, std::move(result));
      } else {
        id = UINT64_MAX;
      }
    }
    if (id == UINT64_MAX) {
      spdlog::warn("D-Bus: refusing a reload request: {} are already waiting",
                   kMaxPendingReloads);
      result.returnError(
          dbus::error(kErrorLimitsExceeded, "too many reload requests are waiting (" +
                                                std::to_string(kMaxPendingReloads) +
                                                "); try again later"));
      return;
    }
    try {
      s.control->request_reload(reread_config, [self, id](const ReloadResult& r) {
        self->finish_reload(id, r);
      });
    } catch (const std::exception& e) {
      self->finish_with_error(
          id, dbus::error(kErrorFailed, std::string("reload: ") + e.what()));
    }
  }

  // Any thread: the reload behind call `id` is over.
  void finish_reload(std::uint64_t id, const ReloadResult& r) {
    switch (r.kind) {
      case ReloadResult::Kind::Ok:
        finish_with_error(id, std::nullopt);
        break;
      case ReloadResult::Kind::ConfigInvalid:
        finish_with_error(id, dbus::error(kDBusErrorConfigInvalid, r.message));
        break;
      case ReloadResult::Kind::PluginLoadFailed:
        finish_with_error(id, dbus::error(kDBusErrorPluginLoadFailed, r.message));
        break;
    }
  }

  void finish_with_error(std::uint64_t id, const std::optional<sdbus::Error>& error) {
    Use use(*this);
    if (!use) return;  // shutting down: the destructor answers the call
    auto result = take_pending(id);
    if (!result) return;
    try {
      if (error)
        result->returnError(*error);
      else
        result->returnResults();
    } catch (const std::exception& e) {
      // The bus is gone (or the caller left); nobody is waiting for this.
      spdlog::debug("D-Bus: could not send a reload reply: {}", e.what());
    }
    result.reset();  // inside `use`: still touches the connection
  }

  // Any thread: after a successful plugin swap.
  void plugin_changed(const std::string& name, const std::string& version,
                      const std::string& path) {
    Use use(*this);
    if (!use || !active.load()) return;
    try {
      // PropertiesChanged is built by hand, from the values given, instead of
      // emitPropertiesChangedSignal(): that one calls our getters, and so
      // Control::snapshot(), from the thread the application notifies us on.
      // (The emitter sends the signal when it goes out of scope.)
      object->emitSignal("PropertiesChanged")
          .onInterface(kPropertiesInterface)
          .withArguments(std::string(kDBusInterface),
                         std::map<std::string, sdbus::Variant>{
                             {"PluginName", sdbus::Variant(name)},
                             {"PluginVersion", sdbus::Variant(version)},
                             {"PluginPath", sdbus::Variant(path)}},
                         std::vector<std::string>{});
      object->emitSignal("PluginChanged")
          .onInterface(kDBusInterface)
          .withArguments(name, version, path);
    } catch (const std::exception& e) {
      spdlog::debug("D-Bus: could not emit PluginChanged: {}", e.what());
    }
  }

  void run_loop() {
    try {
      connection->enterEventLoop();
    } catch (const std::exception& e) {
      if (active.exchange(false))
        spdlog::warn(
            "D-Bus: lost the connection to the {} bus ({}): {}; the D-Bus control API is "
            "unavailable until fibd restarts, everything else keeps running",
            bus_label(bus), address, e.what());
    } catch (...) {
      if (active.exchange(false))
        spdlog::warn(
            "D-Bus: the {} bus event loop failed; the D-Bus control API is unavailable",
            bus_label(bus));
    }
  }
};

namespace {

void register_interface(sdbus::IObject& object,
                        const std::shared_ptr<DBusService::State>& self) {
  using State = DBusService::State;
  const std::weak_ptr<State> weak = self;
  State* s = self.get();  // the object (and its callbacks) die before the state

  auto reload = [weak](bool reread_config) {
    return [weak, reread_config](sdbus::Result<>&& result) {
      if (auto st = weak.lock())
        State::start_reload(st, std::move(result), reread_config);
    };
  };
  auto string_property = [s](const char* name, std::string StatusSnapshot::*field,
                             sdbus::Flags::PropertyUpdateBehaviorFlags behavior) {
    return dbus::Interface::StringProperty{
        name,
        [s, field] { return guarded([&] { return s->control->snapshot().*field; }); },
        behavior};
  };
  auto counter_property = [s](const char* name, std::uint64_t StatusSnapshot::*field) {
    return dbus::Interface::CounterProperty{
        name,
        [s, field] { return guarded([&] { return s->control->snapshot().*field; }); },
        sdbus::Flags::EMITS_NO_SIGNAL};
  };

  dbus::add_interface(
      object, dbus::Interface{
                  .name = kDBusInterface,
                  .methods = {{"Reload", reload(true)}, {"ReloadPlugin", reload(false)}},
                  .string_properties =
                      {string_property("Version", &StatusSnapshot::version,
                                       sdbus::Flags::CONST_PROPERTY_VALUE),
                       string_property("PluginName", &StatusSnapshot::plugin_name,
                                       sdbus::Flags::EMITS_CHANGE_SIGNAL),
                       string_property("PluginVersion", &StatusSnapshot::plugin_version,
                                       sdbus::Flags::EMITS_CHANGE_SIGNAL),
                       string_property("PluginPath", &StatusSnapshot::plugin_path,
                                       sdbus::Flags::EMITS_CHANGE_SIGNAL),
                       // The listen address is fixed today, but promising "const" would
                       // bind the daemon forever; clients simply re-read it.
                       string_property("Listen", &StatusSnapshot::listen,
                                       sdbus::Flags::EMITS_NO_SIGNAL)},
                  .counter_properties =
                      {counter_property("Requests", &StatusSnapshot::requests),
                       counter_property("CacheHits", &StatusSnapshot::cache_hits),
                       counter_property("CacheMisses", &StatusSnapshot::cache_misses),
                       counter_property("CacheErrors", &StatusSnapshot::cache_errors),
                       counter_property("Reloads", &StatusSnapshot::reloads)},
                  .signals = {{"PluginChanged", {"name", "version", "path"}}},
              });
}

}  // namespace

DBusService::DBusService(BusKind bus, Control& control)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.control = &control;
  s.bus = bus;
  if (bus == BusKind::None) {
    spdlog::debug("D-Bus: disabled (dbus.bus: none)");
    return;
  }
  s.address = bus_address_for_log(bus);

  try {
    s.connection = bus == BusKind::System ? sdbus::createSystemBusConnection()
                                          : sdbus::createSessionBusConnection();
  } catch (const std::exception& e) {
    spdlog::warn(
        "D-Bus: cannot connect to the {} bus at {}: {}; running without the D-Bus "
        "control API",
        bus_label(bus), s.address, e.what());
    return;
  }

  try {
    s.connection->setMethodCallTimeout(kStartupCallTimeout);
    s.object = dbus::create_object(*s.connection, kDBusObjectPath);
    register_interface(*s.object, state_);
  } catch (const std::exception& e) {
    spdlog::warn(
        "D-Bus: cannot export {} on the {} bus: {}; running without the D-Bus control "
        "API",
        kDBusObjectPath, bus_label(bus), e.what());
    s.object.reset();
    s.connection.reset();
    return;
  }

  try {
    dbus::request_name(*s.connection, kDBusName);
  } catch (const std::exception& e) {
    spdlog::warn(
        "D-Bus: cannot own the name {} on the {} bus at {}: {}; is another fibd running, "
        "and "
        "does the D-Bus policy (org.fibd.Fibd1.conf) let this user own it? Running "
        "without the "
        "D-Bus control API",
        kDBusName, bus_label(bus), s.address, e.what());
    s.object.reset();
    s.connection.reset();
    return;
  }

  {
    std::lock_guard lock(s.use_mutex);
    s.open = true;
  }
  s.active = true;
  // Our own thread rather than enterEventLoopAsync(): sdbus-c++ 1.2 lets an
  // exception from its loop (as when the bus goes away) escape its internal
  // thread, which is std::terminate.
  s.loop = std::thread([st = state_.get()] { st->run_loop(); });

  control.on_plugin_changed(
      [weak = std::weak_ptr<State>(state_)](
          const std::string& name, const std::string& version, const std::string& path) {
        if (auto st = weak.lock()) st->plugin_changed(name, version, path);
      });

  spdlog::info("D-Bus: {} on {} is served on the {} bus", kDBusName, kDBusObjectPath,
               bus_label(bus));
}

DBusService::~DBusService() {
  State& s = *state_;
  if (!s.connection) return;
  s.active = false;
  s.close_gate();  // from here on only this thread and the loop thread use the connection

  if (s.loop.joinable()) {
    try {
      s.connection->leaveEventLoop();
    } catch (const std::exception& e) {
      spdlog::error("D-Bus: stopping the event loop: {}", e.what());
    }
    s.loop.join();
  }

  std::unordered_map<std::uint64_t, sdbus::Result<>> waiting;
  {
    std::lock_guard lock(s.pending_mutex);
    waiting.swap(s.pending);
  }
  for (auto& [id, result] : waiting) {
    try {
      result.returnError(dbus::error(kErrorFailed, "fibd is shutting down"));
    } catch (const std::exception&) {
      // bus already gone
    }
  }
  waiting.clear();

  s.object.reset();
  s.connection.reset();  // flushes the replies above and closes
}

bool DBusService::active() const { return state_->active.load(); }

}  // namespace fibd
