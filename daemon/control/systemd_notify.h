// sd_notify(3) messages to the service manager; no-ops outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace fibd::notify {

void ready(const std::string& status);
void reloading(const std::string& status);
void stopping(const std::string& status);
void status(const std::string& status);
void watchdog();
// Half the WatchdogSec= interval when the watchdog is enabled for us.
std::optional<std::chrono::microseconds> watchdog_interval();

// The service's fd store (FileDescriptorStoreMax=): systemd keeps a copy of
// `fd` under `name` and passes it to the next start (LISTEN_FDS), also after
// a crash. False when no service manager took the message.
bool store_fd(int fd, const std::string& name);
// Drops what the store holds under `name`, and waits (bounded) until the
// manager has done so.
void forget_fds(const std::string& name);

}  // namespace fibd::notify
