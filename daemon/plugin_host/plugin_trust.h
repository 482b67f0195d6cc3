// The trust check, in the spirit of sshd's StrictModes: code that the daemon
// runs must not be replaceable by anyone but root or the daemon's own user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace fibd {

// Checks the already opened plugin file `fd` (so what is checked is what gets
// loaded), the directory that holds `path` and, when `path` is a symlink,
// the directory that holds its target. Each must not be writable by group or
// others, and must be owned by root or by `euid`. nullopt when trusted;
// otherwise the reason and the fix, e.g.
//   "the file is writable by group or others (mode 0666); run chmod go-w ..."
std::optional<std::string> check_plugin_trust(int fd, const std::string& path,
                                              uid_t euid);

}  // namespace fibd
