// Helpers shared by the plugin tests: where the built plugins are, temporary
// directories, log capture, running commands and dropping privileges.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "plugin_host/plugin_loader.h"

namespace fibd::test {

inline std::string shipped_plugin(const std::string& name) {
  return std::string(FIBD_BUILD_DIR) + "/plugins/" + name + ".so";
}
inline std::string test_plugin(const std::string& name) {
  return std::string(FIBD_BUILD_DIR) + "/test-plugins/" + name + ".so";
}

// A fresh directory (mode 0700) removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/fibd-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_file(const std::string& path, const std::string& bytes,
                       mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  ::chmod(path.c_str(), mode);
}

inline std::string copy_to(const std::string& from, const std::string& to,
                           mode_t mode = 0755) {
  write_file(to, read_file(from), mode);
  return to;
}

// Captures everything logged through spdlog's default logger while alive.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }
  std::size_t count(const std::string& needle) {
    std::string all = text();
    std::size_t n = 0;
    for (auto pos = all.find(needle); pos != std::string::npos;
         pos = all.find(needle, pos + needle.size())) {
      ++n;
    }
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout and stderr
};

// Runs a shell command, capturing its output.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs fn in a child process as uid/gid 65534 (nobody) and returns what it
// returned. Needs root; the caller skips otherwise.
inline std::string run_as_nobody(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      out = "cannot drop privileges";
    } else {
      out = fn();
    }
    ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

// Loads a plugin file with options; trust check on by default.
inline std::shared_ptr<PluginCache> load(
    const std::string& path,
    std::vector<std::pair<std::string, std::string>> options = {},
    bool trust_check = true,
    std::chrono::milliseconds default_ttl = std::chrono::seconds(15)) {
  PluginLoadRequest r;
  r.path = path;
  r.options = std::move(options);
  r.trust_check = trust_check;
  r.default_ttl = default_ttl;
  return load_plugin(r);
}

// The message of the CacheLoadError that loading throws ("" if it loads).
inline std::string load_error(const PluginLoadRequest& request) {
  try {
    load_plugin(request);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
inline std::string load_error(const std::string& path, bool trust_check = true,
                              const std::string& factory = FIBD_CACHE_DEFAULT_FACTORY) {
  PluginLoadRequest r;
  r.path = path;
  r.trust_check = trust_check;
  r.factory = factory;
  return load_error(r);
}

}  // namespace fibd::test
