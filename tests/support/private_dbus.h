// Test helpers: a private dbus-daemon on a unix socket in a temporary
// directory, and running a command (busctl) with its output captured.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace fibd::test {

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (looked up in PATH) and waits for it. No shell involved.
inline CommandResult run_command(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  CommandResult r;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline bool have_program(const std::string& name) {
  return run_command({"sh", "-c", "command -v " + name + " >/dev/null"}).exit_code == 0;
}

// `dbus-daemon --session` (everyone may own and call anything) listening on
// a socket in a fresh temporary directory. Stops (SIGTERM) on destruction;
// dies with the test process if that crashes (PR_SET_PDEATHSIG).
class PrivateDbusDaemon {
 public:
  PrivateDbusDaemon() {
    char tmpl[] = "/tmp/fibd-dbus-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string listen = "unix:path=" + dir_ + "/bus";
    std::vector<std::string> args = {
        "dbus-daemon", "--session",           "--nofork",
        "--nopidfile", "--address=" + listen, "--print-address=1"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      dup2(fds[1], 1);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    // The daemon prints its address once it listens.
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fds[0], POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[512];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    auto nl = line.find('\n');
    if (nl == std::string::npos) {
      stop();
      throw std::runtime_error(
          "dbus-daemon did not start (is the dbus-daemon package installed?)");
    }
    address_ = line.substr(0, nl);
  }

  ~PrivateDbusDaemon() { stop(); }

  PrivateDbusDaemon(const PrivateDbusDaemon&) = delete;
  PrivateDbusDaemon& operator=(const PrivateDbusDaemon&) = delete;

  const std::string& address() const { return address_; }

  // SIGKILL, as when the bus daemon crashes.
  void kill_now() { signal_and_reap(SIGKILL); }
  void stop() { signal_and_reap(SIGTERM); }

 private:
  void signal_and_reap(int sig) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  std::string dir_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace fibd::test
