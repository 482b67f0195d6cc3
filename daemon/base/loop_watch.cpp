#include "base/loop_watch.h"

namespace fibd {

namespace {
thread_local WatchLoop* current_loop = nullptr;
}  // namespace

WatchLoop* WatchLoop::current() noexcept { return current_loop; }

void WatchLoop::set_current(WatchLoop* loop) noexcept { current_loop = loop; }

}  // namespace fibd
