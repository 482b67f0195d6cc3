#include "isolation.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <thread>

namespace fibd::plugin_check {

namespace {

ChildState* g_state = nullptr;  // the child's

// The child's handler of fatal signals: note where, then die of the signal.
void on_fatal_signal(int sig) {
  if (g_state != nullptr) {
    const char* entry = current_entry_point();
    if (entry != nullptr) {
      std::size_t n = strnlen(entry, sizeof g_state->crash_entry - 1);
      std::memcpy(g_state->crash_entry, entry, n);
      g_state->crash_entry[n] = '\0';
    }
    g_state->crash_signal = sig;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_fatal_handlers() {
  // A stack of its own, so that a stack overflow is reported too.
  static char alt[64 * 1024];
  stack_t st{};
  st.ss_sp = alt;
  st.ss_size = sizeof alt;
  sigaltstack(&st, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) {
    sigaction(sig, &sa, nullptr);
  }
}

// One shared anonymous mapping for one child.
class SharedState {
 public:
  SharedState() {
    void* p = mmap(nullptr, sizeof(ChildState), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    state_ = new (p) ChildState{};
  }
  ~SharedState() {
    state_->~ChildState();
    munmap(state_, sizeof(ChildState));
  }
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;
  ChildState& operator*() const { return *state_; }

 private:
  ChildState* state_;
};

[[noreturn]] void run_child(ChildState& state, const std::string& check,
                            const std::function<void(Report&, ChildState&)>& body) {
  g_state = &state;
  install_fatal_handlers();
  {
    Report r(&state.counts);
    try {
      body(r, state);
    } catch (const std::exception& e) {
      r.fail(check, e.what());
    }
  }
  std::cout.flush();
  state.finished = true;
  // No static destructors, no exit handlers: the parent carries on.
  _exit(0);
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

bool run_isolated(Report& r, const std::string& check, std::chrono::seconds timeout,
                  const std::string& create_hint,
                  const std::function<void(Report&, ChildState&)>& body) {
  SharedState shared;
  ChildState& state = *shared;
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) {
    r.fail(check, std::string("cannot fork: ") + std::strerror(errno));
    return false;
  }
  if (pid == 0) run_child(state, check, body);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string running = entry_points_running(state.running);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.add(state.counts);
      r.fail(check, "did not finish within " + std::to_string(timeout.count()) + " s" +
                        (running.empty() ? " (in no entry point: a plugin thread?)"
                                         : " (still in " + running + ")"));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.add(state.counts);
  std::string entry(state.crash_entry,
                    strnlen(state.crash_entry, sizeof state.crash_entry));
  std::string where = entry.empty()
                          ? " outside the plugin's entry points (a thread of the plugin, "
                            "its factory, or fibd acting on what the plugin returned)"
                          : " in the plugin's " + entry + "() entry point";
  const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : state.crash_signal;
  if (entry == "create" && !create_hint.empty() && (sig == SIGSEGV || sig == SIGBUS)) {
    where += " (" + create_hint + ")";
  }
  if (WIFSIGNALED(status)) {
    r.fail(check, "crashed with " + signal_name(WTERMSIG(status)) + where);
    return false;
  }
  if (!state.finished) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (state.crash_signal != 0) {
      r.fail(check, "crashed with " + signal_name(state.crash_signal) + where);
    } else {
      r.fail(check, "the process exited with status " + std::to_string(code) +
                        " before the check finished (the plugin called exit()?)");
    }
    return false;
  }
  return state.loaded;
}

}  // namespace fibd::plugin_check
