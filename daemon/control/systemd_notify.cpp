#include "control/systemd_notify.h"

#include <systemd/sd-daemon.h>

namespace fibd::notify {

namespace {
void send(const std::string& message) { sd_notify(0, message.c_str()); }
// How long forget_fds() waits for the manager to have closed its copies.
constexpr std::uint64_t kBarrierTimeoutUsec = 5'000'000;
}  // namespace

void ready(const std::string& s) { send("READY=1\nSTATUS=" + s); }
void reloading(const std::string& s) { send("RELOADING=1\nSTATUS=" + s); }
void stopping(const std::string& s) { send("STOPPING=1\nSTATUS=" + s); }
void status(const std::string& s) { send("STATUS=" + s); }
void watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(usec / 2);
  }
  return std::nullopt;
}

bool store_fd(int fd, const std::string& name) {
  const std::string message = "FDSTORE=1\nFDNAME=" + name;
  return sd_pid_notify_with_fds(0, 0, message.c_str(), &fd, 1) > 0;
}

void forget_fds(const std::string& name) {
  send("FDSTOREREMOVE=1\nFDNAME=" + name);
  (void)sd_notify_barrier(0, kBarrierTimeoutUsec);
}

}  // namespace fibd::notify
