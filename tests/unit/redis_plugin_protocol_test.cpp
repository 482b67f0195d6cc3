// fibd-test-label: threaded
//
// redis.so against a peer that breaks Redis' turn-taking: a scripted fake
// on loopback that sends replies no command asked for. hiredis' async API
// asserts on such a reply, which would abort the whole daemon; the plugin
// must reset the connection instead, fail what was on it with a message,
// and serve again from a fresh connection.
#include <string_view>

#include "../support/host_loop.h"
#include "redis_plugin_harness.h"
#include "scripted_redis.h"

namespace {

using namespace fibd_redis_test;

// redis.so's options against the fake: short timeouts, `pool` connections.
Options fake_options(const std::string& address, const char* pool) {
  return {{"address", address},
          {"pool_size", pool},
          {"connect_timeout", "500ms"},
          {"command_timeout", "500ms"}};
}

bool is(const std::vector<std::string>& cmd, std::string_view name) {
  return !cmd.empty() && strcasecmp(cmd[0].c_str(), std::string(name).c_str()) == 0;
}

// Every get either completed normally or failed with a message; none was
// lost, and the process is still here.
// GET is answered, then followed by a second reply to nothing.
std::string extra_reply_after_get(const std::vector<std::string>& cmd) {
  if (is(cmd, "PING")) return "+PONG\r\n";
  if (is(cmd, "GET")) return "$-1\r\n+OK\r\n";
  return "+OK\r\n";
}

void expect_calls_end_cleanly(Instance& c, int calls) {
  for (int i = 0; i < calls; ++i) {
    auto r = c.get("k" + std::to_string(i));
    EXPECT_TRUE(r.status == FIBD_CACHE_NOT_FOUND || r.status == FIBD_CACHE_ERROR)
        << "status " << r.status;
    if (r.status == FIBD_CACHE_ERROR) {
      EXPECT_FALSE(r.error.empty());
    }
  }
}

TEST_F(RedisPluginTest, ExtraReplyAfterAnAnswerResetsTheConnection) {
  ScriptedRedis fake(port_, "", extra_reply_after_get);
  ASSERT_TRUE(fake.listening());
  Instance c(plugin_, fake_options(addr(), "1"));
  ASSERT_TRUE(c.ok()) << c.create_error();
  expect_calls_end_cleanly(c, 20);
  auto s = c.stats();
  EXPECT_GE(s["unsolicited_replies"], 1u);
  EXPECT_GE(s["connections_discarded"], 1u);
  EXPECT_TRUE(c.log().contains("sent a reply to no command", FIBD_LOG_WARN));
  EXPECT_GE(fake.accepted(), 3) << "the plugin did not reconnect after the reset";
}

TEST_F(RedisPluginTest, ExtraReplyOnALoopsConnectionResetsIt) {
  // The same peer, with the calls made on a host loop: the loop's own
  // connection is reset, and the loop goes on serving.
  ScriptedRedis fake(port_, "", extra_reply_after_get);
  ASSERT_TRUE(fake.listening());
  fibd::test::HostLoop host;
  Instance c(plugin_, fake_options(addr(), "1"), 0, host.services.services());
  ASSERT_TRUE(c.ok()) << c.create_error();
  for (int i = 0; i < 20; ++i) {
    auto call =
        host.run([&] { return c.start_get("k" + std::to_string(i), 0, host.handle); });
    ASSERT_EQ(call.status, FIBD_CACHE_PENDING) << call.error;
    ASSERT_TRUE(call.waiter->wait());
    auto r = call.waiter->result();
    EXPECT_TRUE(r.status == FIBD_CACHE_NOT_FOUND || r.status == FIBD_CACHE_ERROR)
        << "status " << r.status;
    if (r.status == FIBD_CACHE_ERROR) {
      EXPECT_FALSE(r.error.empty());
    }
  }
  auto s = c.stats();
  EXPECT_GE(s["unsolicited_replies"], 1u);
  EXPECT_GE(s["connections_discarded"], 1u);
  EXPECT_GE(fake.accepted(), 3) << "the loop did not reconnect after the reset";
}

TEST_F(RedisPluginTest, GreetingBeforeAnyCommandResetsTheConnection) {
  // Something at Redis' address speaks first (as a Redis at maxclients does,
  // though with an error reply, which hiredis handles by itself).
  ScriptedRedis fake(port_, "+HELLO\r\n",
                     [](const std::vector<std::string>& cmd) -> std::string {
                       if (is(cmd, "PING")) return "+PONG\r\n";
                       if (is(cmd, "GET")) return "$-1\r\n";
                       return "+OK\r\n";
                     });
  ASSERT_TRUE(fake.listening());
  Instance c(plugin_, fake_options(addr(), "2"));
  ASSERT_TRUE(c.ok()) << c.create_error();
  expect_calls_end_cleanly(c, 10);
  std::this_thread::sleep_for(100ms);  // greetings on idle connections too
  EXPECT_GE(c.stats()["unsolicited_replies"], 1u);
}

TEST_F(RedisPluginTest, ErrorBeforeAnyCommandIsReportedWithRedisText) {
  // A Redis at maxclients answers a new connection with an error and
  // closes it; hiredis handles that error itself, and its text is what the
  // calls fail with.
  ScriptedRedis fake(port_, "-ERR max number of clients reached\r\n",
                     [](const std::vector<std::string>&) -> std::string { return ""; });
  ASSERT_TRUE(fake.listening());
  Instance c(plugin_, fake_options(addr(), "1"));
  ASSERT_TRUE(c.ok()) << c.create_error();
  auto r = c.get("k");
  EXPECT_EQ(r.status, FIBD_CACHE_ERROR);
  EXPECT_THAT(r.error, HasSubstr("max number of clients reached"));
  EXPECT_EQ(c.stats()["unsolicited_replies"], 0u);
}

TEST_F(RedisPluginTest, StrayReplyAfterCreatesPingIsNotTakenForTheNextAnswer) {
  // create() checks Redis with PING on the connection that del and clear
  // use next. Here PING's answer comes with an extra reply: read as DEL's
  // answer, it would make that DEL fail ("+EXTRA" is no count of deleted
  // keys).
  ScriptedRedis fake(port_, "", [](const std::vector<std::string>& cmd) -> std::string {
    if (is(cmd, "PING")) return "+PONG\r\n+EXTRA\r\n";
    if (is(cmd, "DEL")) return ":1\r\n";
    return "+OK\r\n";
  });
  ASSERT_TRUE(fake.listening());
  Instance c(plugin_, fake_options(addr(), "1"));
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::this_thread::sleep_for(50ms);  // the stray reply has arrived
  EXPECT_EQ(c.del("k"), FIBD_CACHE_OK);
  EXPECT_EQ(c.del("k"), FIBD_CACHE_OK);
}

}  // namespace
