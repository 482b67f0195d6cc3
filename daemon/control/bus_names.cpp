#include "control/bus_names.h"

#include <cstdlib>

namespace fibd {

const char* bus_label(BusKind bus) {
  return bus == BusKind::System ? "system" : "session";
}

std::string bus_address_for_log(BusKind bus) {
  if (bus == BusKind::System) {
    const char* a = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    return a && *a ? a : "unix:path=/run/dbus/system_bus_socket";
  }
  if (const char* a = std::getenv("DBUS_SESSION_BUS_ADDRESS"); a && *a) return a;
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r)
    return std::string("unix:path=") + r + "/bus";
  return "(DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR unset)";
}

}  // namespace fibd
