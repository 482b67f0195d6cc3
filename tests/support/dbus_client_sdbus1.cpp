// dbus_client.h for sdbus-c++ 1.x.
#include <utility>

#include "dbus_client.h"

namespace fibd::test {

std::unique_ptr<sdbus::IProxy> create_proxy(
    std::unique_ptr<sdbus::IConnection> connection, const char* destination,
    const char* path) {
  return sdbus::createProxy(std::move(connection), destination, path);
}

std::unique_ptr<sdbus::IProxy> create_proxy(sdbus::IConnection& connection,
                                            const char* destination, const char* path) {
  return sdbus::createProxy(connection, destination, path);
}

void finish_signal_handlers(sdbus::IProxy& proxy) { proxy.finishRegistration(); }

void call_async(sdbus::IProxy& proxy, const char* interface, const char* method,
                std::chrono::microseconds timeout,
                std::function<void(const std::string& error_name)> done) {
  proxy.callMethodAsync(method)
      .onInterface(interface)
      .withTimeout(timeout)
      .uponReplyInvoke([done = std::move(done)](const sdbus::Error* e) {
        done(e ? e->getName() : "");
      });
}

}  // namespace fibd::test
