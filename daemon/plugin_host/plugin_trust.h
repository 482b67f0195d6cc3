// The trust check, in the spirit of sshd's StrictModes: code that the daemon
// runs must not be replaceable by anyone but root or the daemon's own user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace fibd {

// Checks the already opened plugin file `fd` (so what is checked is what gets
// loaded), every directory from the one that holds `path` up to "/" and,
// when `path` leads elsewhere through symlinks, every directory above the
// real file too. Each must be owned by root or by `euid`, and must not be
// writable by group or others, unless it is a sticky directory owned by
// root (/tmp). The message names the offending path. nullopt when trusted;
// otherwise the reason and the fix, e.g.
//   "the file is writable by group or others (mode 0666); run chmod go-w ..."
std::optional<std::string> check_plugin_trust(int fd, const std::string& path,
                                              uid_t euid);

}  // namespace fibd
