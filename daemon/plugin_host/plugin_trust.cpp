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

// what: "the file" or "its directory /x".
std::optional<std::string> check_stat(const struct stat& st, const std::string& what,
                                      uid_t euid) {
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return what + " is writable by group or others (mode " + octal_mode(st.st_mode) +
           "); run chmod go-w on it";
  }
  if (st.st_uid != 0 && st.st_uid != euid) {
    return what + " is owned by " + user_name(st.st_uid) +
           ", not by root or by the daemon's user (" + user_name(euid) + ")";
  }
  return std::nullopt;
}

std::optional<std::string> check_dir(const std::string& dir, uid_t euid) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return "cannot check its directory " + dir + ": " + std::strerror(errno);
  }
  return check_stat(st, "its directory " + dir, euid);
}

}  // namespace

std::optional<std::string> check_plugin_trust(int fd, const std::string& path,
                                              uid_t euid) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return std::string("cannot stat it: ") + std::strerror(errno);
  if (auto e = check_stat(st, "the file", euid)) return e;

  std::string dir = parent_dir(path);
  if (auto e = check_dir(dir, euid)) return e;

  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr),
                                                   &std::free);
  if (!real) return std::string("cannot resolve its path: ") + std::strerror(errno);
  std::string real_dir = parent_dir(real.get());
  if (real_dir != dir) {
    if (auto e = check_dir(real_dir, euid)) return e;
  }
  return std::nullopt;
}

}  // namespace fibd
