// spdlog set-up: the journal (with priorities) under systemd, else stderr.
#pragma once

#include "config.h"

namespace fibd {

// Chooses the sink once: journal when JOURNAL_STREAM or INVOCATION_ID is set.
void setup_logging(LogLevel level);
void set_log_level(LogLevel level);

}  // namespace fibd
