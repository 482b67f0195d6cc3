// One loaded image of a plugin file: the checks a file must pass before any
// of its code runs, and the dlopen()/dlclose() life cycle.
//
// Every image is loaded from its own anonymous in-memory copy of the file
// (memfd_create, then dlopen("/proc/self/fd/N")). glibc returns the already
// loaded image when asked for a path (or a file identity) it has loaded, so
// loading the same path again after the .so was replaced on disk would run the
// old code. A fresh memfd is a fresh path and a fresh inode, so a reload runs
// what is on disk now, while the previous image keeps serving until drained.
// The memfd stays open while the image is loaded, so its fd number (and thus
// the path string) cannot be reused for another image.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "plugin_host/file_identity.h"

namespace fibd {

class PluginImage {
 public:
  // Checks `path` (an absolute file path) and loads it. Throws CacheLoadError
  // saying what is wrong: file missing, not a regular file, unreadable, not
  // an ELF shared object, wrong architecture, untrusted (when trust_check),
  // dlopen() failure.
  static std::unique_ptr<PluginImage> open(const std::string& path, bool trust_check);

  // dlclose()s the image, checks with RTLD_NOLOAD that it is gone, and closes
  // the memfd. An image that stays loaded (STB_GNU_UNIQUE symbols, thread_local
  // destructors, -z nodelete) is logged as a warning and its memfd is kept
  // open for good, so its path can never name another image.
  ~PluginImage();

  PluginImage(const PluginImage&) = delete;
  PluginImage& operator=(const PluginImage&) = delete;

  // The address of an exported symbol, or nullptr if there is none.
  void* symbol(const std::string& name) const;

  const std::string& path() const { return path_; }            // the file on disk
  const std::string& load_path() const { return load_path_; }  // "/proc/self/fd/N"
  // The file that was read (fstat of the descriptor copied into memory), not
  // whatever is at path() by the time anyone asks.
  const FileIdentity& identity() const { return identity_; }

  // PluginImage objects alive now, and images that stayed in memory after
  // their PluginImage was destroyed (since the process started).
  static std::size_t live_count();
  static std::size_t pinned_count();

  // Tests only: runs right after the file was copied into memory (a test
  // replaces the file there). Not thread-safe; reset with nullptr.
  static void set_after_copy_hook_for_tests(
      std::function<void(const std::string& path)> hook);

 private:
  PluginImage(std::string path, FileIdentity identity, UniqueFd memfd, void* handle);

  std::string path_;
  std::string load_path_;
  FileIdentity identity_;
  UniqueFd memfd_;
  void* handle_ = nullptr;
};

}  // namespace fibd
