// The client side of the D-Bus tests, over what differs between sdbus-c++
// 1.x (bookworm) and 2.x (trixie): strong name types in 2.x, signal handlers
// active without finishRegistration(), and the type an asynchronous reply's
// error arrives as. tests/CMakeLists.txt compiles dbus_client_sdbus1.cpp or
// dbus_client_sdbus2.cpp, as daemon/control does for the service side.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace fibd::test {

std::unique_ptr<sdbus::IProxy> create_proxy(
    std::unique_ptr<sdbus::IConnection> connection, const char* destination,
    const char* path);
// A proxy on a connection the caller owns (no event-loop thread of its own).
std::unique_ptr<sdbus::IProxy> create_proxy(sdbus::IConnection& connection,
                                            const char* destination, const char* path);

// Makes the signal handlers registered on `proxy` (uponSignal) active.
void finish_signal_handlers(sdbus::IProxy& proxy);

// Calls `method` on `interface` without waiting: `done` runs on the proxy's
// event-loop thread with the D-Bus error name, or "" on success.
void call_async(sdbus::IProxy& proxy, const char* interface, const char* method,
                std::chrono::microseconds timeout,
                std::function<void(const std::string& error_name)> done);

}  // namespace fibd::test
