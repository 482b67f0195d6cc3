// dbus_object.h for sdbus-c++ 1.x: plain string names, members registered
// one by one, then finishRegistration().
#include "control/dbus_object.h"

namespace fibd::dbus {

sdbus::Error error(const char* name, const std::string& message) {
  return sdbus::Error(name, message);
}

std::unique_ptr<sdbus::IObject> create_object(sdbus::IConnection& connection,
                                              const char* path) {
  return sdbus::createObject(connection, path);
}

void request_name(sdbus::IConnection& connection, const char* name) {
  connection.requestName(name);
}

void add_interface(sdbus::IObject& object, const Interface& interface) {
  for (const auto& m : interface.methods)
    object.registerMethod(m.name)
        .onInterface(interface.name)
        .implementedAs(
            [call = m.call](sdbus::Result<>&& result) { call(std::move(result)); });
  for (const auto& p : interface.string_properties)
    object.registerProperty(p.name)
        .onInterface(interface.name)
        .withGetter([get = p.get] { return get(); })
        .withUpdateBehavior(p.behavior);
  for (const auto& p : interface.counter_properties)
    object.registerProperty(p.name)
        .onInterface(interface.name)
        .withGetter([get = p.get] { return get(); })
        .withUpdateBehavior(p.behavior);
  for (const auto& s : interface.signals)
    object.registerSignal(s.name)
        .onInterface(interface.name)
        .withParameters<std::string, std::string, std::string>(
            s.argument_names[0], s.argument_names[1], s.argument_names[2]);
  object.finishRegistration();
}

}  // namespace fibd::dbus
