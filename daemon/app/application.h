// The running daemon: owns every part, starts them in order, serialises
// reloads (SIGHUP and D-Bus share one path), and shuts down gracefully.
#pragma once

#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/cpu_budget.h"
#include "compute/fib_service.h"
#include "compute/runtime.h"
#include "config/config.h"
#include "control/control.h"
#include "http/libevent_ptr.h"
#include "http/listen_socket.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "plugin_host/plugin_reaper.h"

namespace fibd {

class DBusService;

class Application final : public Control {
 public:
  Application(CommandLine command_line, Config config);
  ~Application() override;

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

  void request_reload(bool reread_config,
                      std::function<void(const ReloadResult&)> done) override;
  StatusSnapshot snapshot() const override;
  void on_plugin_changed(PluginChangedListener listener) override;

 private:
  struct ReloadRequest {
    bool reread_config;
    std::function<void(const ReloadResult&)> done;
  };
  std::shared_ptr<const Runtime> make_runtime(const Config& config,
                                              std::shared_ptr<Cache> cache) const;
  void reload_loop(std::stop_token stop);
  ReloadResult reload(bool reread_config);
  std::string status_line() const;
  void begin_shutdown(event_base* main_base);
  void drain_tick();

  CommandLine command_line_;
  Config config_;         // written only by the reload thread after start
  const CpuBudget cpus_;  // measured once: sizes the loops and the workers
  // Declared before everything that holds a cache, so it outlives them all.
  PluginReaper reaper_;
  Metrics metrics_;
  RuntimeHolder runtime_;
  FibService fib_;
  ListenSocket socket_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<DBusService> dbus_;

  mutable std::mutex listeners_mutex_;
  std::vector<PluginChangedListener> listeners_;

  std::mutex reload_mutex_;
  std::condition_variable_any reload_ready_;
  std::deque<ReloadRequest> reload_queue_;
  std::jthread reload_thread_;

  event_base* main_base_ = nullptr;
  EventPtr drain_timer_;
  std::chrono::steady_clock::time_point drain_started_;
};

}  // namespace fibd
