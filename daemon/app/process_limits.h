// Process-wide resource limits fibd sets for itself at startup.
#pragma once

#include <sys/resource.h>

namespace fibd {

struct NofileLimit {
  rlim_t before = 0;  // soft limit found
  rlim_t now = 0;     // soft limit in force (the hard limit unless refused)
  rlim_t hard = 0;
  int error = 0;  // errno of a refused setrlimit() (a seccomp filter, say)
};

// Raises the soft RLIMIT_NOFILE to the hard limit. Every client connection
// is a file descriptor, and libevent uses epoll (no FD_SETSIZE ceiling), so
// the soft default of 1024 that shells and systemd give would refuse clients
// long before memory or CPU run short; the hard limit is what the
// administrator (LimitNOFILE=) allows.
NofileLimit raise_nofile_limit();

}  // namespace fibd
