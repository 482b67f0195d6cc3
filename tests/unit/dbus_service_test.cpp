// fibd-test-label: threaded
// DBusService on a private dbus-daemon, driven by a fake Control and checked
// from the outside with sdbus-c++ proxies and with busctl.

#include "control/dbus_service.h"

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/dbus_client.h"
#include "../support/fake_control.h"
#include "../support/private_dbus.h"
#include "control/dbus_object.h"

namespace fibd {
namespace {

using namespace std::chrono_literals;
using test::CommandResult;
using test::FakeControl;
using test::PrivateDbusDaemon;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

class DBusServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::have_program("dbus-daemon"))
        << "dbus-daemon is needed (package dbus-daemon)";
    ASSERT_TRUE(test::have_program("busctl")) << "busctl is needed (package systemd)";
    bus_ = std::make_unique<PrivateDbusDaemon>();
    ASSERT_EQ(setenv("DBUS_SESSION_BUS_ADDRESS", bus_->address().c_str(), 1), 0);
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(128);
    previous_logger_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("test", log_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }

  void TearDown() override {
    spdlog::set_default_logger(previous_logger_);
    unsetenv("DBUS_SESSION_BUS_ADDRESS");
    bus_.reset();
  }

  std::unique_ptr<sdbus::IProxy> proxy() {
    return test::create_proxy(
        sdbus::createSessionBusConnectionWithAddress(bus_->address()), kDBusName,
        kDBusObjectPath);
  }

  CommandResult busctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"busctl", "--address=" + bus_->address()});
    return test::run_command(args);
  }

  bool logged(const std::string& needle) {
    for (const auto& line : log_->last_formatted())
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string log_text() {
    std::string all;
    for (const auto& line : log_->last_formatted()) all += line;
    return all;
  }

  std::unique_ptr<PrivateDbusDaemon> bus_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
};

TEST_F(DBusServiceTest, BusctlIntrospectShowsEveryMemberWithItsSignature) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();

  auto r = busctl({"introspect", kDBusName, kDBusObjectPath, kDBusInterface});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // NAME TYPE SIGNATURE RESULT/VALUE FLAGS
  std::map<std::string, std::pair<std::string, std::string>> seen;
  std::map<std::string, std::string> flags;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, type, signature, last;
    words >> name >> type >> signature;
    for (std::string w; words >> w;) last = w;
    if (!name.empty() && name[0] == '.') {
      seen[name.substr(1)] = {type, signature};
      flags[name.substr(1)] = last;
    }
  }
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"Reload", {"method", "-"}},          {"ReloadPlugin", {"method", "-"}},
      {"PluginChanged", {"signal", "sss"}}, {"Version", {"property", "s"}},
      {"PluginName", {"property", "s"}},    {"PluginVersion", {"property", "s"}},
      {"PluginPath", {"property", "s"}},    {"Listen", {"property", "s"}},
      {"Requests", {"property", "t"}},      {"CacheHits", {"property", "t"}},
      {"CacheMisses", {"property", "t"}},   {"CacheErrors", {"property", "t"}},
      {"Reloads", {"property", "t"}},
  };
  EXPECT_EQ(seen, expected) << r.output;
  // Version never changes; the plugin properties announce their changes
  // (PropertiesChanged); counters and Listen are re-read by clients.
  EXPECT_EQ(flags["Version"], "const");
  EXPECT_EQ(flags["PluginName"], "emits-change");
  EXPECT_EQ(flags["PluginVersion"], "emits-change");
  EXPECT_EQ(flags["PluginPath"], "emits-change");
  EXPECT_EQ(flags["Requests"], "-");
  EXPECT_EQ(flags["Listen"], "-");

  // Names of the signal's arguments and the change-signal annotations.
  auto p = proxy();
  std::string xml;
  p->callMethod("Introspect")
      .onInterface("org.freedesktop.DBus.Introspectable")
      .storeResultsTo(xml);
  EXPECT_NE(
      xml.find(
          "<signal name=\"PluginChanged\">\n   <arg type=\"s\" name=\"name\"/>\n"
          "   <arg type=\"s\" name=\"version\"/>\n   <arg type=\"s\" name=\"path\"/>"),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<interface name=\"org.freedesktop.DBus.Properties\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<interface name=\"org.freedesktop.DBus.Peer\">"),
            std::string::npos);
}

TEST_F(DBusServiceTest, PropertiesFollowTheControlState) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  auto p = proxy();

  auto str = [&](const char* name) {
    return p->getProperty(name).onInterface(kDBusInterface).get<std::string>();
  };
  auto num = [&](const char* name) {
    return p->getProperty(name).onInterface(kDBusInterface).get<std::uint64_t>();
  };
  EXPECT_EQ(str("Version"), "0.1.0-test");
  EXPECT_EQ(str("PluginName"), "memory");
  EXPECT_EQ(str("PluginVersion"), "1.0.0");
  EXPECT_EQ(str("PluginPath"), "/usr/lib/fibd/plugins/memory.so");
  EXPECT_EQ(str("Listen"), "127.0.0.1:8080");
  EXPECT_EQ(num("Requests"), 0u);

  control.update([](StatusSnapshot& s) {
    s.requests = 42;
    s.cache_hits = 30;
    s.cache_misses = 12;
    s.cache_errors = 1;
    s.reloads = 3;
    s.listen = "[::1]:9090";
  });
  EXPECT_EQ(num("Requests"), 42u);
  EXPECT_EQ(num("CacheHits"), 30u);
  EXPECT_EQ(num("CacheMisses"), 12u);
  EXPECT_EQ(num("CacheErrors"), 1u);
  EXPECT_EQ(num("Reloads"), 3u);
  EXPECT_EQ(str("Listen"), "[::1]:9090");

  // The same through busctl, as an administrator would read them.
  auto r = busctl({"get-property", kDBusName, kDBusObjectPath, kDBusInterface, "Requests",
                   "PluginName"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "t 42\ns \"memory\"\n");

  control.update([](StatusSnapshot& s) { s.requests = 43; });
  r = busctl({"get-property", kDBusName, kDBusObjectPath, kDBusInterface, "Requests"});
  EXPECT_EQ(r.output, "t 43\n");

  // Counters are read-only.
  r = busctl(
      {"set-property", kDBusName, kDBusObjectPath, kDBusInterface, "Requests", "t", "0"});
  EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST_F(DBusServiceTest, ReloadAndReloadPluginSucceed) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  auto p = proxy();

  EXPECT_NO_THROW(p->callMethod("Reload").onInterface(kDBusInterface));
  EXPECT_NO_THROW(p->callMethod("ReloadPlugin").onInterface(kDBusInterface));
  EXPECT_EQ(control.reread_flags(), (std::vector<bool>{true, false}));
  EXPECT_EQ(p->getProperty("Reloads").onInterface(kDBusInterface).get<std::uint64_t>(),
            2u);

  auto r = busctl({"call", kDBusName, kDBusObjectPath, kDBusInterface, "Reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(control.requested(), 3u);
}

TEST_F(DBusServiceTest, FailedReloadsReturnTheNamedErrorWithItsMessage) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  auto p = proxy();

  const std::string config_msg =
      "/etc/fibd.yaml:7: fib.max_n: expected an unsigned integer";
  control.push_result(ReloadResult::Kind::ConfigInvalid, config_msg);
  try {
    p->callMethod("Reload").onInterface(kDBusInterface);
    ADD_FAILURE() << "Reload did not fail";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.fibd.Fibd1.Error.ConfigInvalid");
    EXPECT_EQ(e.getMessage(), config_msg);
  }

  const std::string plugin_msg =
      "/usr/lib/fibd/plugins/redis.so: cannot open: No such file";
  control.push_result(ReloadResult::Kind::PluginLoadFailed, plugin_msg);
  try {
    p->callMethod("ReloadPlugin").onInterface(kDBusInterface);
    ADD_FAILURE() << "ReloadPlugin did not fail";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.fibd.Fibd1.Error.PluginLoadFailed");
    EXPECT_EQ(e.getMessage(), plugin_msg);
  }

  // busctl (what ExecReload runs) exits non-zero and prints the message.
  control.push_result(ReloadResult::Kind::ConfigInvalid, config_msg);
  auto r = busctl({"call", kDBusName, kDBusObjectPath, kDBusInterface, "Reload"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(config_msg), std::string::npos) << r.output;
}

TEST_F(DBusServiceTest, PluginChangedAndPropertiesChangedReachSubscribers) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  ASSERT_TRUE(control.has_listener());

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> plugin_changed;
  std::map<std::string, std::string> properties_changed;
  std::string properties_interface;

  auto p = proxy();
  p->uponSignal("PluginChanged")
      .onInterface(kDBusInterface)
      .call([&](const std::string& name, const std::string& version,
                const std::string& path) {
        std::lock_guard lock(m);
        plugin_changed = {name, version, path};
        cv.notify_all();
      });
  p->uponSignal("PropertiesChanged")
      .onInterface("org.freedesktop.DBus.Properties")
      .call([&](const std::string& iface,
                const std::map<std::string, sdbus::Variant>& changed,
                const std::vector<std::string>&) {
        std::lock_guard lock(m);
        properties_interface = iface;
        for (const auto& [k, v] : changed) properties_changed[k] = v.get<std::string>();
        cv.notify_all();
      });
  test::finish_signal_handlers(*p);

  control.swap_plugin("redis", "2.1.0", "/usr/lib/fibd/plugins/redis.so");
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] {
      return !plugin_changed.empty() && properties_changed.size() == 3;
    }));
    EXPECT_EQ(plugin_changed, (std::vector<std::string>{
                                  "redis", "2.1.0", "/usr/lib/fibd/plugins/redis.so"}));
    EXPECT_EQ(properties_interface, kDBusInterface);
    EXPECT_EQ(properties_changed, (std::map<std::string, std::string>{
                                      {"PluginName", "redis"},
                                      {"PluginVersion", "2.1.0"},
                                      {"PluginPath", "/usr/lib/fibd/plugins/redis.so"}}));
  }
  EXPECT_EQ(p->getProperty("PluginName").onInterface(kDBusInterface).get<std::string>(),
            "redis");
}

TEST_F(DBusServiceTest, TenConcurrentReloadsAreAllAnswered) {
  FakeControl control(100ms);  // reloads are serialised: ~1 s in all
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();

  constexpr int kCalls = 10;
  std::atomic<int> ok{0};
  std::vector<std::string> failures(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      try {
        auto p = proxy();
        p->callMethod("Reload").onInterface(kDBusInterface).withTimeout(20s);
        ++ok;
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : callers) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_EQ(control.requested(), static_cast<std::size_t>(kCalls));
  // They really were in flight together: the loop kept accepting calls.
  EXPECT_GE(control.max_waiting(), 2u);
}

// A reload that takes long must not stall the bus connection (sdbus-c++
// holds the connection mutex while our callbacks run: see sdbus-cpp #296).
TEST_F(DBusServiceTest, ServiceAnswersWhileAReloadIsInProgress) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  control.hold(true);

  std::atomic<bool> reload_ok{false};
  std::thread caller([&] {
    auto p = proxy();
    p->callMethod("Reload").onInterface(kDBusInterface).withTimeout(20s);
    reload_ok = true;
  });
  ASSERT_TRUE(control.wait_requested(1, 5s));

  auto p = proxy();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(p->getProperty("Version").onInterface(kDBusInterface).get<std::string>(),
            "0.1.0-test");
  auto r = busctl({"introspect", kDBusName, kDBusObjectPath});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(reload_ok.load());

  control.hold(false);
  caller.join();
  EXPECT_TRUE(reload_ok.load());
}

TEST_F(DBusServiceTest, TooManyWaitingReloadsAreRefusedNotQueued) {
  FakeControl control;
  DBusService service(BusKind::Session, control);
  ASSERT_TRUE(service.active()) << log_text();
  control.hold(true);

  auto p = proxy();
  std::mutex m;
  std::condition_variable cv;
  int replies = 0, successes = 0;
  std::vector<std::string> errors;
  auto on_reply = [&](const std::string& error_name) {
    std::lock_guard lock(m);
    ++replies;
    if (!error_name.empty())
      errors.push_back(error_name);
    else
      ++successes;
    cv.notify_all();
  };
  const int n = static_cast<int>(DBusService::kMaxPendingReloads);
  for (int i = 0; i < n; ++i)
    test::call_async(*p, kDBusInterface, "Reload", 20s, on_reply);
  ASSERT_TRUE(control.wait_requested(n, 10s));

  test::call_async(*p, kDBusInterface, "Reload", 20s, on_reply);
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return replies == 1; }));
    EXPECT_EQ(errors,
              std::vector<std::string>{"org.freedesktop.DBus.Error.LimitsExceeded"});
  }
  control.hold(false);
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return replies == n + 1; }));
  EXPECT_EQ(successes, n);
}

TEST_F(DBusServiceTest, ShutdownAnswersCallsStillWaitingForTheirReload) {
  FakeControl control;
  auto service = std::make_unique<DBusService>(BusKind::Session, control);
  ASSERT_TRUE(service->active()) << log_text();
  control.hold(true);

  std::string error;
  std::thread caller([&] {
    try {
      auto p = proxy();
      p->callMethod("Reload").onInterface(kDBusInterface).withTimeout(20s);
    } catch (const sdbus::Error& e) {
      error = e.getName() + ": " + e.getMessage();
    }
  });
  ASSERT_TRUE(control.wait_requested(1, 5s));
  const auto start = std::chrono::steady_clock::now();
  service.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  caller.join();
  EXPECT_EQ(error, "org.freedesktop.DBus.Error.Failed: fibd is shutting down");
  // The reload finishes later; its callback finds the service gone.
  control.hold(false);
  EXPECT_TRUE(control.wait_completed(1, 5s));
  control.swap_plugin("redis", "1", "/x.so");  // listener outlives the service: a no-op
}

TEST_F(DBusServiceTest, SurvivesTheBusDaemonDying) {
  FakeControl control;
  auto service = std::make_unique<DBusService>(BusKind::Session, control);
  ASSERT_TRUE(service->active()) << log_text();
  control.hold(true);

  // A proxy on a connection without an event-loop thread: sdbus-c++ 1.2's
  // own loop thread would std::terminate when the bus goes away.
  std::thread caller([&] {
    try {
      auto connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
      auto p = test::create_proxy(*connection, kDBusName, kDBusObjectPath);
      p->callMethod("Reload").onInterface(kDBusInterface).withTimeout(20s);
    } catch (const sdbus::Error&) {
      // the bus is gone: expected
    }
  });
  ASSERT_TRUE(control.wait_requested(1, 5s));

  bus_->kill_now();
  caller.join();
  EXPECT_TRUE(eventually([&] { return !service->active(); })) << log_text();
  EXPECT_TRUE(logged("lost the connection to the session bus")) << log_text();

  // A reply and a signal for a bus that is gone: dropped quietly.
  control.hold(false);
  EXPECT_TRUE(control.wait_completed(1, 5s));
  control.swap_plugin("redis", "2.1.0", "/usr/lib/fibd/plugins/redis.so");
  control.update([](StatusSnapshot& s) { s.requests = 1; });
  std::this_thread::sleep_for(50ms);

  const auto start = std::chrono::steady_clock::now();
  service.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(DBusServiceTest, UnreachableBusLogsAWarningAndDoesNotThrow) {
  ASSERT_EQ(setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/fibd-test/bus", 1),
            0);
  FakeControl control;
  std::unique_ptr<DBusService> service;
  EXPECT_NO_THROW(service = std::make_unique<DBusService>(BusKind::Session, control));
  EXPECT_FALSE(service->active());
  EXPECT_FALSE(control.has_listener());
  EXPECT_TRUE(
      logged("cannot connect to the session bus at unix:path=/nonexistent/fibd-test/bus"))
      << log_text();
}

TEST_F(DBusServiceTest, NameOwnedByAnotherProcessLogsAWarningAndDoesNotThrow) {
  auto other = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  dbus::request_name(*other, kDBusName);

  FakeControl control;
  std::unique_ptr<DBusService> service;
  EXPECT_NO_THROW(service = std::make_unique<DBusService>(BusKind::Session, control));
  EXPECT_FALSE(service->active());
  EXPECT_TRUE(logged("cannot own the name org.fibd.Fibd1 on the session bus"))
      << log_text();
}

TEST_F(DBusServiceTest, BusNoneDoesNothing) {
  FakeControl control;
  DBusService service(BusKind::None, control);
  EXPECT_FALSE(service.active());
  EXPECT_FALSE(control.has_listener());
  auto r = busctl({"status", kDBusName});
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace fibd
