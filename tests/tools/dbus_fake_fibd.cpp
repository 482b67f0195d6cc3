// The real DBusService over a fake Control, for tests that need a process
// owning org.fibd.Fibd1 (the D-Bus policy test) without the whole daemon.
//
//   dbus_fake_fibd --bus system|session [--result
//   ok|config-invalid:MSG|plugin-load-failed:MSG]...
//
// Prints "active" or "inactive" on stdout once set up (logs go to stderr),
// then runs until SIGTERM or SIGINT and exits 0. Each --result scripts the
// outcome of the next reload; reloads past the script succeed.

#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "../support/fake_control.h"
#include "control/dbus_service.h"

namespace {

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " --bus system|session [--result "
               "ok|config-invalid:MSG|plugin-load-failed:MSG]...\n";
  return 2;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts; sigwait() takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::set_default_logger(spdlog::stderr_logger_mt("dbus_fake_fibd"));
  spdlog::set_level(spdlog::level::debug);

  fibd::BusKind bus = fibd::BusKind::None;
  bool bus_given = false;
  auto control = std::make_unique<fibd::test::FakeControl>();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--bus" && i + 1 < argc) {
      const std::string b = argv[++i];
      if (b == "system")
        bus = fibd::BusKind::System;
      else if (b == "session")
        bus = fibd::BusKind::Session;
      else
        return usage(argv[0]);
      bus_given = true;
    } else if (arg == "--result" && i + 1 < argc) {
      const std::string r = argv[++i];
      if (r == "ok")
        control->push_result(fibd::ReloadResult::Kind::Ok);
      else if (starts_with(r, "config-invalid:"))
        control->push_result(fibd::ReloadResult::Kind::ConfigInvalid,
                             r.substr(std::strlen("config-invalid:")));
      else if (starts_with(r, "plugin-load-failed:"))
        control->push_result(fibd::ReloadResult::Kind::PluginLoadFailed,
                             r.substr(std::strlen("plugin-load-failed:")));
      else
        return usage(argv[0]);
    } else {
      return usage(argv[0]);
    }
  }
  if (!bus_given) return usage(argv[0]);

  {
    fibd::DBusService service(bus, *control);
    std::cout << (service.active() ? "active" : "inactive") << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
  }
  control.reset();
  return 0;
}
