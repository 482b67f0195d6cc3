// fibd-plugin-check: which of the plugin's entry points is running, so that
// a check that crashes or hangs names it. One plugin per process (each check
// runs in a child of its own, see isolation.h).
#pragma once

#include <atomic>
#include <string>

#include "plugin_host/descriptor_check.h"

namespace fibd::plugin_check {

// The entry points of ABI 2, in descriptor order.
inline constexpr int kEntryPoints = 8;

// Replaces the entry points of `d` by ones that note which one runs, then
// call the plugin's. `running[i]` counts the threads inside entry point i
// (shared memory, so that the parent can read it after a timeout).
void trace_entry_points(PluginDescriptor& d, std::atomic<int>* running);

// The entry point the calling thread is in ("clear"), or nullptr.
// Async-signal-safe.
const char* current_entry_point() noexcept;

// "get, set": the entry points some thread is in, per `running`.
std::string entry_points_running(const std::atomic<int>* running);

}  // namespace fibd::plugin_check
