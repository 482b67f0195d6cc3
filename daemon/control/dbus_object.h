// What differs between sdbus-c++ 1.x (bookworm) and 2.x (trixie) for the
// D-Bus service: 2.x takes names and paths as strong types, builds errors
// from an Error::Name, and exports an interface as one vtable instead of
// member by member plus finishRegistration(). CMake compiles
// dbus_object_sdbus1.cpp or dbus_object_sdbus2.cpp by the major version of
// the sdbus-c++ it finds; dbus_service.cpp uses only this header.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fibd::dbus {

// A named D-Bus error, to throw from a callback or send as a reply.
sdbus::Error error(const char* name, const std::string& message);

std::unique_ptr<sdbus::IObject> create_object(sdbus::IConnection& connection,
                                              const char* path);

void request_name(sdbus::IConnection& connection, const char* name);

// One interface of an object: methods answered through a Result (from any
// thread, later), read-only properties read through getters, and signals
// whose three arguments are strings.
struct Interface {
  struct Method {
    const char* name;
    std::function<void(sdbus::Result<>&&)> call;
  };
  struct StringProperty {
    const char* name;
    std::function<std::string()> get;
    sdbus::Flags::PropertyUpdateBehaviorFlags behavior;
  };
  struct CounterProperty {  // D-Bus type t
    const char* name;
    std::function<std::uint64_t()> get;
    sdbus::Flags::PropertyUpdateBehaviorFlags behavior;
  };
  struct StringSignal {  // D-Bus signature sss
    const char* name;
    std::array<const char*, 3> argument_names;
  };

  const char* name;
  std::vector<Method> methods;
  std::vector<StringProperty> string_properties;
  std::vector<CounterProperty> counter_properties;
  std::vector<StringSignal> signals;
};

// Exports `interface` on `object`; callbacks may run as soon as it returns.
void add_interface(sdbus::IObject& object, const Interface& interface);

}  // namespace fibd::dbus
