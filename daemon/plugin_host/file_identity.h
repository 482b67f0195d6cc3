// Which file a plugin was read from: device, inode, size and modification
// time, as a package upgrade (a new inode renamed over the path) or an
// in-place rewrite changes them. A reload compares what is at the path now
// with what was read, and re-opens the plugin when they differ.
#pragma once

#include <sys/stat.h>

#include <string>

namespace fibd {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};

  static FileIdentity of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  }
  bool operator==(const FileIdentity& o) const {
    return dev == o.dev && ino == o.ino && size == o.size &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

// What is at `path` now (all zero when nothing can be stat()ed there).
inline FileIdentity identify_path(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return FileIdentity::of(st);
}

}  // namespace fibd
