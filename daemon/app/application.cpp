#include "app/application.h"

#include <event2/event.h>
#include <pthread.h>

#include <csignal>
#include <string_view>
#include <thread>

#include "api/api_handler.h"
#include "app/liveness.h"
#include "base/cpu_budget.h"
#include "base/log.h"
#include "base/logging.h"
#include "control/dbus_service.h"
#include "control/systemd_notify.h"
#include "plugin_host/cache_factory.h"

namespace fibd {

namespace {

// How long SIGTERM waits for the connections to finish (each after its next
// answer, or idle for http::kDrainIdle) before closing the rest. Below
// TimeoutStopSec= in fibd.service.
constexpr std::chrono::seconds kShutdownGrace{10};

bool same_cache_settings(const CacheSettings& a, const CacheSettings& b) {
  return a.plugin == b.plugin && a.plugin_dir == b.plugin_dir && a.factory == b.factory &&
         a.trust_check == b.trust_check && a.options == b.options;
}

http::Limits http_limits(const HttpSettings& s) {
  http::Limits limits;
  limits.max_connections = s.max_connections;
  limits.head_timeout = s.head_timeout;
  limits.idle_timeout = s.idle_timeout;
  limits.max_request_line = s.max_request_line;
  limits.max_header_bytes = s.max_header_bytes;
  return limits;
}

EventPtr make_event(event_base* base, int fd, short what, event_callback_fn cb,
                    void* arg) {
  return EventPtr(event_new(base, fd, what, cb, arg));
}

}  // namespace

Application::Application(CommandLine command_line, Config config)
    : command_line_(std::move(command_line)),
      config_(std::move(config)),
      cpus_(usable_cpus()),
      runtime_(nullptr),
      fib_(config_.effective_workers(cpus_.cpus), metrics_) {}

Application::~Application() {
  reload_thread_ = {};  // stop and join before the parts it uses go away
  dbus_.reset();
  fib_.stop();
  server_.reset();
}

std::shared_ptr<const Runtime> Application::make_runtime(
    const Config& config, std::shared_ptr<Cache> cache) const {
  auto rt = std::make_shared<Runtime>();
  rt->cache = std::move(cache);
  rt->ttl = config.cache.expiration;
  rt->algorithm = config.algorithm;
  rt->max_n = config.effective_max_n();
  rt->max_inflight = config.max_inflight;
  rt->compute_timeout = config.compute_timeout;
  return rt;
}

std::string Application::status_line() const {
  const auto rt = runtime_.get();
  return "serving on " + socket_.description + ", cache " + rt->cache->name() + " " +
         rt->cache->version();
}

int Application::run() {
  // 1. The cache: a daemon that cannot load its configured plugin must not
  //    pretend to be ready.
  std::shared_ptr<Cache> cache;
  try {
    cache = open_cache(config_.cache, &reaper_, config_.compute_timeout);
  } catch (const CacheLoadError& e) {
    // Most loader messages already start with this; say it once.
    constexpr std::string_view kWhat = "cannot load cache plugin";
    const std::string_view why = e.what();
    if (why.starts_with(kWhat)) {
      spdlog::critical("{}", why);
    } else {
      spdlog::critical("{}: {}", kWhat, why);
    }
    return 1;
  }
  runtime_.publish(make_runtime(config_, cache));
  metrics_.set_plugin(cache->name(), cache->version(), cache->path());
  // The running plugin's own metrics, read at every scrape.
  metrics_.set_plugin_source([this] {
    const auto rt = runtime_.get();
    CacheScrape scrape;
    scrape.plugin = rt->cache->name();
    for (const PluginMetric& m : rt->cache->plugin_metrics()) {
      scrape.samples.push_back(PluginSample{m.name, m.gauge, m.value});
    }
    if (auto near = rt->cache->near_stats()) {
      scrape.near = true;
      scrape.near_hits = near->hits;
      scrape.near_misses = near->misses;
      scrape.near_bytes = near->bytes;
      scrape.near_max_bytes = near->max_bytes;
    }
    return scrape;
  });
  cache.reset();

  // 2. The socket and the loops, as many as the CPUs fibd may use.
  spdlog::info("sizing: {} event loops and {} workers{}; {}", cpus_.cpus,
               config_.effective_workers(cpus_.cpus),
               config_.workers != 0 ? " (workers: set)" : "", cpus_.why);
  try {
    socket_ = open_listen_socket(config_.listen, [this] {
      spdlog::info(
          "the kept listening socket is not bound to {} (listen changed): a new one",
          config_.listen);
      notify::forget_fds(kStoredSocketName);
    });
  } catch (const ListenError& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  // systemd keeps a copy (FileDescriptorStoreMax=) and hands it to the next
  // fibd: connections made while fibd restarts wait in its backlog.
  if (socket_.bound_here && notify::store_fd(socket_.fd.get(), kStoredSocketName))
    spdlog::debug("listening socket kept in the service manager's fd store");
  ApiContext ctx{runtime_, fib_, metrics_};
  server_ = std::make_unique<http::Server>(
      socket_.fd.get(), cpus_.cpus, http_limits(config_.http),
      [ctx] { return std::make_unique<ApiHandler>(ctx); });
  // Scrapes run on the loops, which end before the server goes.
  metrics_.set_connections_source(
      [server = server_.get()] { return server->connections(); });
  server_->start();

  // 3. Control: reload thread, D-Bus, signals, watchdog.
  reload_thread_ = std::jthread([this](std::stop_token st) {
    pthread_setname_np(pthread_self(), "fibd-reload");
    reload_loop(st);
  });
  dbus_ = std::make_unique<DBusService>(config_.bus, *this);

  EventBasePtr base(event_base_new());
  auto on_hup = make_event(
      base.get(), SIGHUP, EV_SIGNAL | EV_PERSIST,
      [](evutil_socket_t, short, void* self) {
        spdlog::info("SIGHUP: reloading configuration");
        static_cast<Application*>(self)->request_reload(true, [](const ReloadResult&) {});
      },
      this);
  main_base_ = base.get();
  auto on_term_cb = [](evutil_socket_t sig, short, void* arg) {
    auto* app = static_cast<Application*>(arg);
    spdlog::info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    app->begin_shutdown(app->main_base_);
  };
  auto on_term =
      make_event(base.get(), SIGTERM, EV_SIGNAL | EV_PERSIST, on_term_cb, this);
  auto on_int = make_event(base.get(), SIGINT, EV_SIGNAL | EV_PERSIST, on_term_cb, this);
  event_add(on_hup.get(), nullptr);
  event_add(on_term.get(), nullptr);
  event_add(on_int.get(), nullptr);

  EventPtr watchdog;
  Liveness liveness(*server_, cpus_.cpus, fib_);
  if (auto interval = notify::watchdog_interval()) {
    // WATCHDOG=1 only while every loop and the worker pool answer.
    watchdog = make_event(
        base.get(), -1, EV_PERSIST,
        [](evutil_socket_t, short, void* arg) {
          if (static_cast<Liveness*>(arg)->tick()) notify::watchdog();
        },
        &liveness);
    const timeval tv{static_cast<time_t>(interval->count() / 1000000),
                     static_cast<suseconds_t>(interval->count() % 1000000)};
    event_add(watchdog.get(), &tv);
    // Ping at once: every loop answers within moments and is known by its
    // thread id from then on, so a loop wedged before the first interval
    // is still named in the journal.
    if (liveness.tick()) notify::watchdog();
  }

  // Signals were blocked before any thread started; only this thread takes them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);

  spdlog::info("fibd {} {}", FIBD_VERSION, status_line());
  notify::ready(status_line());
  event_base_loop(base.get(), EVLOOP_NO_EXIT_ON_EMPTY);

  // Shutdown: the drain is done or timed out.
  drain_timer_.reset();
  reload_thread_ = {};
  dbus_.reset();
  fib_.stop();  // remaining waiters get 503 through their loops
  server_.reset();
  spdlog::info("stopped");
  return 0;
}

void Application::begin_shutdown(event_base* main_base) {
  if (drain_timer_) return;  // a second SIGTERM while draining changes nothing
  notify::stopping("stopping: finishing requests in flight");
  server_->stop_accepting();
  main_base_ = main_base;
  drain_started_ = std::chrono::steady_clock::now();
  drain_timer_ = make_event(
      main_base, -1, EV_PERSIST,
      [](evutil_socket_t, short, void* arg) {
        static_cast<Application*>(arg)->drain_tick();
      },
      this);
  const timeval every{0, 20000};
  event_add(drain_timer_.get(), &every);
}

void Application::drain_tick() {
  const bool listening = server_->listening();
  // No loop accepts on it any more: our copy goes. A socket unit's or the fd
  // store's copy keeps listening for the next fibd; without one, new
  // connections are refused from now on instead of waiting for nobody.
  if (!listening && socket_.fd) socket_.fd.reset();
  const auto now = std::chrono::steady_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - drain_started_).count();
  const std::size_t open = server_->connections();
  if (!listening && open == 0) {
    spdlog::info("shutdown: every connection drained in {} ms", ms);
  } else if (now - drain_started_ >= kShutdownGrace) {
    spdlog::warn(
        "shutdown: {} connections ({} requests) still open after {} ms, closing them",
        open, server_->pending(), ms);
  } else {
    return;
  }
  event_base_loopbreak(main_base_);
}

void Application::request_reload(bool reread_config,
                                 std::function<void(const ReloadResult&)> done) {
  {
    std::lock_guard lock(reload_mutex_);
    reload_queue_.push_back({reread_config, std::move(done)});
  }
  reload_ready_.notify_one();
}

void Application::reload_loop(std::stop_token stop) {
  while (true) {
    ReloadRequest request;
    {
      std::unique_lock lock(reload_mutex_);
      if (!reload_ready_.wait(lock, stop, [&] { return !reload_queue_.empty(); })) return;
      request = std::move(reload_queue_.front());
      reload_queue_.pop_front();
    }
    const ReloadResult result = reload(request.reread_config);
    if (request.done) request.done(result);
  }
}

ReloadResult Application::reload(bool reread_config) {
  const auto started = std::chrono::steady_clock::now();
  notify::reloading(reread_config ? "reloading configuration" : "reloading cache plugin");
  auto fail = [&](ReloadResult::Kind kind, const std::string& message) {
    metrics_.reload_failed();
    spdlog::error("reload failed, still serving with the previous settings: {}", message);
    notify::ready(status_line() + "; last reload failed: " + message);
    return ReloadResult{kind, message};
  };

  Config next = config_;
  if (reread_config) {
    try {
      next = resolve_config(command_line_);
    } catch (const ConfigError& e) {
      return fail(ReloadResult::Kind::ConfigInvalid, e.what());
    }
    if (next.listen != config_.listen)
      spdlog::warn("listen changed: takes effect after a restart");
    if (next.workers != config_.workers)
      spdlog::warn("workers changed: takes effect after a restart");
    if (next.bus != config_.bus)
      spdlog::warn("dbus.bus changed: takes effect after a restart");
  }

  auto current = runtime_.get();
  std::shared_ptr<Cache> cache = current->cache;
  bool swapped = false;
  if (!reread_config || !same_cache_settings(next.cache, config_.cache) ||
      !(identify_path(cache->path()) == cache->file_identity())) {  // replaced on disk
    try {
      cache = open_cache(next.cache, &reaper_, next.compute_timeout);
    } catch (const CacheLoadError& e) {
      return fail(ReloadResult::Kind::PluginLoadFailed, e.what());
    }
    swapped = true;
  }

  if (reread_config) set_log_level(next.log_level);
  runtime_.publish(make_runtime(next, cache));
  current.reset();
  config_ = std::move(next);
  // Idle loops would otherwise keep the old snapshot (and cache) alive.
  server_->for_each_handler([](http::Handler& handler) {
    static_cast<ApiHandler&>(handler).release_runtime();
  });

  metrics_.reload_ok();
  const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count() /
                  1000.0;
  if (swapped) {
    metrics_.set_plugin(cache->name(), cache->version(), cache->path());
    spdlog::info("reload done in {:.2f} ms: cache plugin {} {}{}", ms, cache->name(),
                 cache->version(), cache->path().empty() ? "" : " from " + cache->path());
    std::vector<PluginChangedListener> listeners;
    {
      std::lock_guard lock(listeners_mutex_);
      listeners = listeners_;
    }
    for (auto& l : listeners) l(cache->name(), cache->version(), cache->path());
  } else {
    spdlog::info("reload done in {:.2f} ms: cache plugin unchanged", ms);
  }
  notify::ready(status_line());
  return {};
}

StatusSnapshot Application::snapshot() const {
  const auto rt = runtime_.get();
  StatusSnapshot s;
  s.version = FIBD_VERSION;
  if (rt) {
    s.plugin_name = rt->cache->name();
    s.plugin_version = rt->cache->version();
    s.plugin_path = rt->cache->path();
  }
  s.listen = socket_.description;
  s.requests = metrics_.requests();
  s.cache_hits = metrics_.cache_hits();
  s.cache_misses = metrics_.cache_misses();
  s.cache_errors = metrics_.cache_errors();
  s.reloads = metrics_.reloads();
  return s;
}

void Application::on_plugin_changed(PluginChangedListener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace fibd
