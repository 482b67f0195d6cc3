// Cache errors can come once per request; the log gets at most one line per
// second for them, with the count of those it held back.
#pragma once

#include <string>

namespace fibd {

void log_cache_error(const char* operation, const std::string& plugin,
                     const std::string& message);

}  // namespace fibd
