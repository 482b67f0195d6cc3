// fibd-test-label: threaded
//
// redis.so through its C ABI against real redis-server processes: values,
// TTLs, options, authentication, sharing.
#include "redis_plugin_harness.h"

namespace {

using namespace fibd_redis_test;

// -------------------------------------------------------------------- tests

TEST_F(RedisPluginTest, DescriptorIsAsyncAndThreadSafe) {
  const auto* d = plugin_.desc;
  EXPECT_EQ(d->abi_version, FIBD_CACHE_ABI_VERSION);
  EXPECT_EQ(d->struct_size, sizeof(fibd_cache_descriptor));
  EXPECT_STREQ(d->name, "redis");
  EXPECT_NE(d->capabilities & FIBD_CACHE_CAP_THREAD_SAFE, 0u);
  EXPECT_EQ(d->capabilities & FIBD_CACHE_CAP_NON_BLOCKING, 0u);
  EXPECT_EQ(d->required_features, FIBD_CACHE_FEATURE_ASYNC);
  EXPECT_NE(d->cancel, nullptr);
  EXPECT_NE(d->del, nullptr);
  EXPECT_NE(d->clear, nullptr);
  EXPECT_NE(d->stats, nullptr);
}

// The metrics an operator watches are pushed to the host; a host whose
// struct ends before metric_add (or whose functions are NULL) is told
// nothing, and the plugin works the same.
TEST_F(RedisPluginTest, MetricsGoToTheHostThatOffersThem) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("m", "1", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("m").value, "1");
  for (const char* name :
       {"connects", "connect_failures", "connections_discarded", "connections", "errors",
        "timeouts", "breaker_opens", "breaker_state", "unsolicited_replies"})
    expect_metric_is_stat(c, name);
  EXPECT_EQ(c.log().metric("connections"), 1);
  EXPECT_EQ(c.log().metric("cluster_nodes_known"), -1);  // not a cluster
  EXPECT_EQ(c.log().metric("sentinel_rounds"), -1);

  Instance older(plugin_, {{"address", addr()}}, 0, nullptr,
                 offsetof(fibd_cache_host, metric_add));
  ASSERT_TRUE(older.ok()) << older.create_error();
  EXPECT_EQ(older.get("m").value, "1");
  EXPECT_EQ(older.set("m", "2", 0), FIBD_CACHE_OK);
  EXPECT_EQ(older.get("m").value, "2");
  EXPECT_GE(older.stats()["connects"], 1u);
  EXPECT_EQ(older.log().metric_count(), 0u);
}

TEST_F(RedisPluginTest, MissThenHit) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_EQ(c.get("10").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(c.set("10", "55", 0), FIBD_CACHE_OK);
  auto r = c.get("10");
  EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value, "55");
  EXPECT_EQ(c.del("10"), FIBD_CACHE_OK);
  EXPECT_EQ(c.del("10"), FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(c.get("10").status, FIBD_CACHE_NOT_FOUND);
  auto s = c.stats();
  EXPECT_EQ(s["hits"], 1u);
  EXPECT_EQ(s["misses"], 2u);
  EXPECT_EQ(s["errors"], 0u);
  EXPECT_GE(s["connections"], 1u);
  EXPECT_EQ(s["breaker_state"], 0u);
}

TEST_F(RedisPluginTest, TtlIsVisibleWithPttl) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("ttl", "v", 60000), FIBD_CACHE_OK);
  long pttl = std::stol(redis().cli({"PTTL", "fibd:ttl"}));
  EXPECT_GT(pttl, 50000);
  EXPECT_LE(pttl, 60000);
  ASSERT_EQ(c.set("forever", "v", 0), FIBD_CACHE_OK);
  EXPECT_EQ(redis().cli({"PTTL", "fibd:forever"}), "-1");
  // And Redis really expires it.
  ASSERT_EQ(c.set("short", "v", 50), FIBD_CACHE_OK);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(c.get("short").status, FIBD_CACHE_NOT_FOUND);
}

TEST_F(RedisPluginTest, KeyPrefixNamespacesKeys) {
  start_redis();
  Instance a(plugin_, {{"address", addr()}});
  Instance b(plugin_, {{"address", addr()}, {"key_prefix", "app*[2]:"}});
  ASSERT_TRUE(a.ok()) << a.create_error();
  ASSERT_TRUE(b.ok()) << b.create_error();
  ASSERT_EQ(a.set("7", "13", 0), FIBD_CACHE_OK);
  ASSERT_EQ(b.set("7", "thirteen", 0), FIBD_CACHE_OK);
  EXPECT_EQ(redis().cli({"GET", "fibd:7"}), "13");
  EXPECT_EQ(redis().cli({"GET", "app*[2]:7"}), "thirteen");
  EXPECT_EQ(a.get("7").value, "13");
  EXPECT_EQ(b.get("7").value, "thirteen");
  // clear() removes only its own prefix, glob characters and all.
  redis().cli({"SET", "app-other:1", "keep"});
  redis().cli({"SET", "unrelated", "keep"});
  EXPECT_EQ(b.clear(), FIBD_CACHE_OK);
  EXPECT_EQ(b.get("7").status, FIBD_CACHE_NOT_FOUND);
  EXPECT_EQ(a.get("7").status, FIBD_CACHE_HIT);
  EXPECT_EQ(redis().cli({"GET", "app-other:1"}), "keep");
  EXPECT_EQ(redis().cli({"GET", "unrelated"}), "keep");
}

TEST_F(RedisPluginTest, OneMebibyteBinaryValue) {
  start_redis();
  Instance c(plugin_, {{"address", addr()}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::string value(1 << 20, '\0');
  std::mt19937 rng(42);
  for (auto& ch : value) ch = static_cast<char>(rng());
  std::string key("bin\0key\r\n", 9);
  std::string err;
  ASSERT_EQ(c.set(key, value, 60000, &err), FIBD_CACHE_OK) << err;
  auto r = c.get(key);
  ASSERT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value.size(), value.size());
  EXPECT_TRUE(r.value == value);
  // What Redis holds is the same number of bytes (redis-cli cannot pass the
  // NUL in the key above, so a second key).
  ASSERT_EQ(c.set("big", value, 60000, &err), FIBD_CACHE_OK) << err;
  EXPECT_EQ(redis().cli({"STRLEN", "fibd:big"}), std::to_string(1 << 20));
}

TEST_F(RedisPluginTest, SixteenThreadsAtOnce) {
  start_redis();
  // Timeouts far above the defaults: this is about 16 threads sharing one
  // connection correctly, not about latency on a loaded machine.
  Instance c(
      plugin_,
      {{"address", addr()}, {"connect_timeout", "30s"}, {"command_timeout", "30s"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 16; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string key = std::to_string(t) + ":" + std::to_string(i % 20);
        std::string value = "v" + std::to_string(t * 1000 + i % 20);
        if (c.set(key, value, 60000) != FIBD_CACHE_OK) ++errors;
        auto r = c.get(key);
        if (r.status != FIBD_CACHE_HIT)
          ++errors;
        else if (r.value != value)
          ++wrong;
        auto shared = c.get("shared");
        if (shared.status == FIBD_CACHE_ERROR) ++errors;
        if (i % 50 == 0) c.set("shared", "s", 60000);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  auto s = c.stats();
  EXPECT_EQ(s["connections"], 1u);
  EXPECT_EQ(s["errors"], 0u);
}

TEST_F(RedisPluginTest, UnixSocketWithRequirepass) {
  start_redis({"--requirepass", "s3cret pass"});
  Instance c(plugin_,
             {{"address", "unix:" + redis().socket_path()}, {"password", "s3cret pass"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_EQ(c.get("1").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(c.set("1", "1", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("1").value, "1");
  EXPECT_EQ(redis().cli({"GET", "fibd:1"}, {"-a", "s3cret pass"}), "1");
}

TEST_F(RedisPluginTest, AclUser) {
  start_redis();
  ASSERT_EQ(redis().cli({"ACL", "SETUSER", "fibd", "on", ">fibd-pw", "resetkeys",
                         "~fibd:*", "-@all", "+get", "+set", "+del", "+scan", "+unlink",
                         "+ping", "+select"}),
            "OK");
  Instance c(
      plugin_,
      {{"address", addr()}, {"username", "fibd"}, {"password", "fibd-pw"}, {"db", "1"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  ASSERT_EQ(c.set("90", "2880067194370816120", 0), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("90").value, "2880067194370816120");
  EXPECT_EQ(redis().cli({"GET", "fibd:90"}, {"-n", "1"}), "2880067194370816120");
  EXPECT_EQ(c.clear(), FIBD_CACHE_OK);
  EXPECT_EQ(c.get("90").status, FIBD_CACHE_NOT_FOUND);

  // A wrong password for that user: create() fails and says so.
  Instance bad(plugin_,
               {{"address", addr()}, {"username", "fibd"}, {"password", "nope"}});
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.create_error(), AllOf(HasSubstr("refused authentication"),
                                        HasSubstr("'fibd'"), HasSubstr("WRONGPASS")));
}

TEST_F(RedisPluginTest, WrongPasswordFailsClearly) {
  start_redis({"--requirepass", "right"});
  {
    Instance c(plugin_, {{"address", addr()}, {"password", "wrong"}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(), AllOf(HasSubstr("refused authentication"),
                                        HasSubstr(addr()), HasSubstr("WRONGPASS")));
  }
  {
    Instance c(plugin_, {{"address", addr()}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(),
                AllOf(HasSubstr("requires authentication"), HasSubstr("'password'")));
  }
  {
    Instance c(plugin_, {{"address", addr()}, {"password", "right"}, {"db", "99"}});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(),
                AllOf(HasSubstr("option 'db'"), HasSubstr("SELECT 99")));
  }
}

TEST_F(RedisPluginTest, BadOptionsFailNamingTheOption) {
  struct Case {
    Options opts;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"adress", "127.0.0.1:6379"}}, "unknown option 'adress'"},
      {{{"address", "localhost"}}, "option 'address'"},
      {{{"address", "127.0.0.1:99999"}}, "option 'address'"},
      {{{"address", "::1:6379"}}, "brackets"},
      {{{"address", "unix:relative.sock"}}, "option 'address'"},
      {{{"db", "-1"}}, "option 'db'"},
      {{{"db", "one"}}, "option 'db'"},
      {{{"pool_size", "0"}}, "option 'pool_size'"},
      {{{"pool_size", "many"}}, "option 'pool_size'"},
      {{{"connect_timeout", "5"}}, "option 'connect_timeout'"},
      {{{"command_timeout", "1x"}}, "option 'command_timeout'"},
      {{{"command_timeout", "0"}}, "option 'command_timeout'"},
      {{{"command_timeout", "2h"}}, "option 'command_timeout'"},
      {{{"username", "u"}}, "option 'username'"},
  };
  for (auto& c : cases) {
    Instance inst(plugin_, c.opts);
    EXPECT_FALSE(inst.ok()) << c.expect;
    EXPECT_THAT(inst.create_error(), HasSubstr(c.expect));
  }
  // And the good forms parse.
  start_redis();
  Instance ok(plugin_, {{"address", "localhost:" + std::to_string(port_)},
                        {"connect_timeout", "1m30.5s"},
                        {"command_timeout", "1.5s"},
                        {"pool_size", "2"},
                        {"key_prefix", ""},
                        {"db", "0"}});
  EXPECT_TRUE(ok.ok()) << ok.create_error();
}

TEST_F(RedisPluginTest, Ipv6AddressParses) {
  // Nothing listens there: create() still succeeds, with a warning.
  Instance c(plugin_, {{"address", "[::1]:" + std::to_string(port_)},
                       {"connect_timeout", "100ms"}});
  ASSERT_TRUE(c.ok()) << c.create_error();
  EXPECT_TRUE(c.log().contains("[::1]:" + std::to_string(port_), FIBD_LOG_WARN));
}

TEST_F(RedisPluginTest, TwoInstancesShareOneRedis) {
  // What two daemons behind a load balancer do: one's miss is the other's hit.
  start_redis();
  Instance a(plugin_, {{"address", addr()}});
  Instance b(plugin_, {{"address", "unix:" + redis().socket_path()}});
  ASSERT_TRUE(a.ok()) << a.create_error();
  ASSERT_TRUE(b.ok()) << b.create_error();
  EXPECT_EQ(a.get("100").status, FIBD_CACHE_NOT_FOUND);
  ASSERT_EQ(a.set("100", "354224848179261915075", 15000), FIBD_CACHE_OK);
  auto r = b.get("100");
  EXPECT_EQ(r.status, FIBD_CACHE_HIT) << r.error;
  EXPECT_EQ(r.value, "354224848179261915075");
}

TEST_F(RedisPluginTest, EnvironmentFallbackAndPrecedence) {
  start_redis();
  ::setenv("REDIS_ADDR", addr().c_str(), 1);
  ::setenv("REDIS_DB", "2", 1);
  {
    Instance c(plugin_, {});
    ASSERT_TRUE(c.ok()) << c.create_error();
    ASSERT_EQ(c.set("e", "env", 0), FIBD_CACHE_OK);
    EXPECT_EQ(redis().cli({"GET", "fibd:e"}, {"-n", "2"}), "env");
  }
  {
    Instance c(plugin_, {{"db", "3"}});  // the option wins over REDIS_DB
    ASSERT_TRUE(c.ok()) << c.create_error();
    ASSERT_EQ(c.set("e", "opt", 0), FIBD_CACHE_OK);
    EXPECT_EQ(redis().cli({"GET", "fibd:e"}, {"-n", "3"}), "opt");
  }
  ::setenv("REDIS_DB", "two", 1);
  {
    Instance c(plugin_, {});
    EXPECT_FALSE(c.ok());
    EXPECT_THAT(c.create_error(), HasSubstr("REDIS_DB"));
  }
  ::unsetenv("REDIS_ADDR");
  ::unsetenv("REDIS_DB");
}

}  // namespace
