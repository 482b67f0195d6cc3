#include "base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <cstdlib>

#include "base/log.h"

namespace fibd {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return spdlog::level::trace;
    case LogLevel::Debug:
      return spdlog::level::debug;
    case LogLevel::Info:
      return spdlog::level::info;
    case LogLevel::Warn:
      return spdlog::level::warn;
    case LogLevel::Error:
      return spdlog::level::err;
    case LogLevel::Critical:
      return spdlog::level::critical;
    case LogLevel::Off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

bool under_systemd() {
  return std::getenv("JOURNAL_STREAM") != nullptr ||
         std::getenv("INVOCATION_ID") != nullptr;
}

}  // namespace

void setup_logging(LogLevel level) {
  std::shared_ptr<spdlog::logger> logger;
  if (under_systemd()) {
    // The journal stamps time and unit itself; priorities map from levels.
    logger = std::make_shared<spdlog::logger>(
        "fibd", std::make_shared<spdlog::sinks::systemd_sink_mt>("fibd"));
  } else {
    logger = std::make_shared<spdlog::logger>(
        "fibd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

void set_log_level(LogLevel level) { spdlog::set_level(to_spdlog(level)); }

}  // namespace fibd
