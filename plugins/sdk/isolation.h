// fibd-plugin-check runs every check in a child process of its own, so that
// a plugin which crashes or hangs fails that check, naming the entry point
// it was in, instead of taking the checker down with it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "entry_points.h"
#include "report.h"

namespace fibd::plugin_check {

// What a child shares with the parent (one anonymous shared mapping).
struct ChildState {
  Counts counts;                           // the child's report
  std::atomic<int> running[kEntryPoints];  // threads inside each entry point
  int crash_signal;
  char crash_entry[16];  // the entry point the crashing thread was in, or ""
  bool finished;         // the body returned
  bool loaded;           // the plugin loaded (the load check says so)
};

// Runs `body` in a forked child and adds what it reported to `r`. A child
// killed by a signal, one that exits early, and one still running after
// `timeout` (then killed) each become a FAIL of `check`; `create_hint` is
// added when create() faulted (SIGSEGV, SIGBUS). Returns whether the child set
// state.loaded.
bool run_isolated(Report& r, const std::string& check, std::chrono::seconds timeout,
                  const std::string& create_hint,
                  const std::function<void(Report&, ChildState&)>& body);

}  // namespace fibd::plugin_check
