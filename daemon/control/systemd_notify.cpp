#include "control/systemd_notify.h"

#include <systemd/sd-daemon.h>

namespace fibd::notify {

namespace {
void send(const std::string& message) { sd_notify(0, message.c_str()); }
}  // namespace

void ready(const std::string& s) { send("READY=1\nSTATUS=" + s); }
void reloading(const std::string& s) { send("RELOADING=1\nSTATUS=" + s); }
void stopping(const std::string& s) { send("STOPPING=1\nSTATUS=" + s); }
void watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(usec / 2);
  }
  return std::nullopt;
}

}  // namespace fibd::notify
