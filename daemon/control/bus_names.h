// How fibd names the bus it is on, in log messages.
#pragma once

#include <string>

#include "config/config.h"

namespace fibd {

// "system" or "session".
const char* bus_label(BusKind bus);

// Where libsystemd looks for that bus (the environment, else its default).
std::string bus_address_for_log(BusKind bus);

}  // namespace fibd
