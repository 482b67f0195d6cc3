// dbus_object.h for sdbus-c++ 2.x: strong name types, and the interface
// exported as one vtable (active at once, no finishRegistration()).
#include <utility>

#include "control/dbus_object.h"

namespace fibd::dbus {

sdbus::Error error(const char* name, const std::string& message) {
  return sdbus::Error(sdbus::Error::Name{name}, message);
}

std::unique_ptr<sdbus::IObject> create_object(sdbus::IConnection& connection,
                                              const char* path) {
  return sdbus::createObject(connection, sdbus::ObjectPath{path});
}

void request_name(sdbus::IConnection& connection, const char* name) {
  connection.requestName(sdbus::ServiceName{name});
}

void add_interface(sdbus::IObject& object, const Interface& interface) {
  std::vector<sdbus::VTableItem> vtable;
  for (const auto& m : interface.methods)
    vtable.emplace_back(sdbus::registerMethod(m.name).implementedAs(
        [call = m.call](sdbus::Result<>&& result) { call(std::move(result)); }));
  for (const auto& p : interface.string_properties)
    vtable.emplace_back(sdbus::registerProperty(p.name)
                            .withGetter([get = p.get] { return get(); })
                            .withUpdateBehavior(p.behavior));
  for (const auto& p : interface.counter_properties)
    vtable.emplace_back(sdbus::registerProperty(p.name)
                            .withGetter([get = p.get] { return get(); })
                            .withUpdateBehavior(p.behavior));
  for (const auto& s : interface.signals)
    vtable.emplace_back(
        sdbus::registerSignal(s.name)
            .withParameters<std::string, std::string, std::string>(
                s.argument_names[0], s.argument_names[1], s.argument_names[2]));
  object.addVTable(std::move(vtable)).forInterface(interface.name);
}

}  // namespace fibd::dbus
