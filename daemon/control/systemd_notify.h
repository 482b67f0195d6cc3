// sd_notify(3) messages to the service manager; no-ops outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace fibd::notify {

void ready(const std::string& status);
void reloading(const std::string& status);
void stopping(const std::string& status);
void watchdog();
// Half the WatchdogSec= interval when the watchdog is enabled for us.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace fibd::notify
