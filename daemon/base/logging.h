// spdlog set-up: the journal (with priorities) under systemd, else stderr.
#pragma once

namespace fibd {

enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

// Chooses the sink once: journal when JOURNAL_STREAM or INVOCATION_ID is set.
void setup_logging(LogLevel level);
void set_log_level(LogLevel level);

}  // namespace fibd
