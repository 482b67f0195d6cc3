#include "plugin_host/plugin_trust.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace fibd {

namespace {

std::string user_name(uid_t uid) {
  std::string out = "uid " + std::to_string(uid);
  std::vector<char> buf(4096);
  struct passwd pw {};
  struct passwd* result = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr) {
    out += " (";
    out += result->pw_name;
    out += ")";
  }
  return out;
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// what: "the file" or "its directory /x" or "the directory /x on its path".
// A directory may be writable by everyone when it is sticky and root's
// (/tmp): nobody else can then rename or remove what others put in it.
std::optional<std::string> check_stat(const struct stat& st, const std::string& what,
                                      uid_t euid) {
  const bool sticky_root_dir =
      S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0 && st.st_uid == 0;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky_root_dir) {
    return what + " is writable by group or others (mode " + octal_mode(st.st_mode) +
           "); run chmod go-w on it";
  }
  if (st.st_uid != 0 && st.st_uid != euid) {
    return what + " is owned by " + user_name(st.st_uid) +
           ", not by root or by the daemon's user (" + user_name(euid) + ")";
  }
  return std::nullopt;
}

// `dir` and every directory above it, up to "/", like sshd's StrictModes:
// whoever can write any of them can swap what lies below.
std::optional<std::string> check_dirs_up_to_root(std::string dir, uid_t euid) {
  bool first = true;
  while (true) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      return "cannot check the directory " + dir +
             " on its path: " + std::strerror(errno);
    }
    if (auto e = check_stat(
            st, first ? "its directory " + dir : "the directory " + dir + " on its path",
            euid))
      return e;
    const std::string up = parent_dir(dir);
    if (up == dir) return std::nullopt;  // "/" (or "." for a relative path)
    dir = up;
    first = false;
  }
}

}  // namespace

std::optional<std::string> check_plugin_trust(int fd, const std::string& path,
                                              uid_t euid) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return std::string("cannot stat it: ") + std::strerror(errno);
  if (auto e = check_stat(st, "the file", euid)) return e;

  std::string dir = parent_dir(path);
  if (auto e = check_dirs_up_to_root(dir, euid)) return e;

  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr),
                                                   &std::free);
  if (!real) return std::string("cannot resolve its path: ") + std::strerror(errno);
  std::string real_dir = parent_dir(real.get());
  if (real_dir != dir) {
    if (auto e = check_dirs_up_to_root(real_dir, euid)) return e;
  }
  return std::nullopt;
}

}  // namespace fibd
