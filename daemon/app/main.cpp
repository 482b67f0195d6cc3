// fibd: exact Fibonacci numbers over HTTP. See fibd(8).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "app/application.h"
#include "app/process_limits.h"
#include "base/log.h"
#include "base/logging.h"
#include "config/config.h"

int main(int argc, char** argv) {
  using namespace fibd;
  CommandLine cl;
  Config config;
  try {
    cl = parse_command_line(argc, argv);
    if (cl.help) {
      std::cout << usage_text(argv[0]);
      return 0;
    }
    if (cl.version) {
      std::cout << "fibd " << FIBD_VERSION << " (plugin ABI " << FIBD_ABI_VERSION_CMAKE
                << ")\n";
      return 0;
    }
    config = resolve_config(cl);
  } catch (const ConfigError& e) {
    std::cerr << "fibd: " << e.what() << "\n";
    return cl.check_config ? 1 : 2;
  }
  if (cl.check_config) {
    std::cout << "fibd: configuration "
              << (config.source.empty() ? std::string("(built-in defaults)")
                                        : config.source)
              << " is valid\n";
    return 0;
  }

  setup_logging(config.log_level);
  const NofileLimit nofile = raise_nofile_limit();
  if (nofile.now != nofile.before) {
    spdlog::debug("file descriptor limit raised from {} to {}", nofile.before,
                  nofile.now);
  } else if (nofile.error != 0 && nofile.now < 4096) {
    spdlog::warn(
        "file descriptor limit is {} (hard limit {}) and cannot be raised: {}; "
        "connections beyond it are refused (set LimitNOFILE=)",
        nofile.now, nofile.hard, std::strerror(nofile.error));
  }

  // Every thread started from here inherits these blocked; Application::run
  // unblocks them on the main thread only, where libevent handles them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    Application app(std::move(cl), std::move(config));
    return app.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
