// A running fibd EventLoop for tests that make plugin calls on a host loop,
// and a way to run code on its thread.
#pragma once

#include <future>
#include <string>

#include "http/event_loop.h"
#include "plugin_host/plugin_host.h"

namespace fibd::test {

// Runs fn on the loop's thread and returns what it returned.
template <typename Fn>
auto run_on(EventLoop& loop, Fn fn) {
  std::promise<decltype(fn())> result;
  loop.post([&] { result.set_value(fn()); });
  return result.get_future().get();
}

// fibd's plugin services (the loop watches among them) and one started
// loop, known to plugins as `handle`.
struct HostLoop {
  PluginHost services{"test"};
  EventLoop loop;
  fibd_cache_loop* handle = nullptr;

  HostLoop() {
    loop.start();
    handle = run_on(loop, [] { return PluginHost::current_loop(); });
  }
  template <typename Fn>
  auto run(Fn fn) {
    return run_on(loop, std::move(fn));
  }
};

}  // namespace fibd::test
