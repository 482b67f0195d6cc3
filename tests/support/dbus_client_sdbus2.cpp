// dbus_client.h for sdbus-c++ 2.x.
#include <optional>
#include <utility>

#include "dbus_client.h"

namespace fibd::test {

std::unique_ptr<sdbus::IProxy> create_proxy(
    std::unique_ptr<sdbus::IConnection> connection, const char* destination,
    const char* path) {
  return sdbus::createProxy(std::move(connection), sdbus::ServiceName{destination},
                            sdbus::ObjectPath{path});
}

std::unique_ptr<sdbus::IProxy> create_proxy(sdbus::IConnection& connection,
                                            const char* destination, const char* path) {
  return sdbus::createProxy(connection, sdbus::ServiceName{destination},
                            sdbus::ObjectPath{path});
}

// 2.x subscribes at uponSignal() already.
void finish_signal_handlers(sdbus::IProxy&) {}

void call_async(sdbus::IProxy& proxy, const char* interface, const char* method,
                std::chrono::microseconds timeout,
                std::function<void(const std::string& error_name)> done) {
  proxy.callMethodAsync(method)
      .onInterface(interface)
      .withTimeout(timeout)
      .uponReplyInvoke([done = std::move(done)](std::optional<sdbus::Error> e) {
        done(e ? std::string(e->getName()) : std::string());
      });
}

}  // namespace fibd::test
