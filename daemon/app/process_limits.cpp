#include "app/process_limits.h"

#include <cerrno>

namespace fibd {

NofileLimit raise_nofile_limit() {
  NofileLimit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
  result.before = result.now = limit.rlim_cur;
  result.hard = limit.rlim_max;
  if (limit.rlim_cur == limit.rlim_max) return result;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    result.now = limit.rlim_cur;
  } else {
    result.error = errno;
  }
  return result;
}

}  // namespace fibd
