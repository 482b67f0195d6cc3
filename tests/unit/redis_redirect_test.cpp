// Error replies of a Redis Cluster (plugins/redis/redirect.h): redirections
// as Redis 7 and Valkey write them, the transient states, and malformed
// redirections, which are never followed.
#include <gtest/gtest.h>

#include <string>

#include "redirect.h"

namespace {

using fibd_redis::classify_reply_error;
using fibd_redis::ClusterNode;
using fibd_redis::ReplyErrorKind;

TEST(Redirect, Moved) {
  const auto e = classify_reply_error("MOVED 12182 127.0.0.1:17103", "10.0.0.9");
  EXPECT_EQ(e.kind, ReplyErrorKind::kMoved);
  EXPECT_EQ(e.slot, 12182);
  EXPECT_EQ(e.node, (ClusterNode{"127.0.0.1", 17103}));
  EXPECT_EQ(e.problem, "");
}

TEST(Redirect, Ask) {
  const auto e = classify_reply_error("ASK 0 redis-7.example:6379", "10.0.0.9");
  EXPECT_EQ(e.kind, ReplyErrorKind::kAsk);
  EXPECT_EQ(e.slot, 0);
  EXPECT_EQ(e.node, (ClusterNode{"redis-7.example", 6379}));
}

TEST(Redirect, Ipv6WithAndWithoutBrackets) {
  for (const char* text : {"MOVED 16383 ::1:7000", "MOVED 16383 [::1]:7000"}) {
    const auto e = classify_reply_error(text, "");
    EXPECT_EQ(e.kind, ReplyErrorKind::kMoved) << text;
    EXPECT_EQ(e.slot, 16383);
    EXPECT_EQ(e.node, (ClusterNode{"::1", 7000})) << text;
    EXPECT_EQ(e.node.to_string(), "[::1]:7000");
  }
  const auto e = classify_reply_error("ASK 5 fe80::1:2:6379", "");
  EXPECT_EQ(e.node, (ClusterNode{"fe80::1:2", 6379}));
}

// cluster-preferred-endpoint-type unknown-endpoint: "MOVED 3999 :6381".
TEST(Redirect, EmptyHostIsTheNodeThatAnswered) {
  auto e = classify_reply_error("MOVED 3999 :6381", "192.0.2.7");
  EXPECT_EQ(e.kind, ReplyErrorKind::kMoved);
  EXPECT_EQ(e.node, (ClusterNode{"192.0.2.7", 6381}));
  e = classify_reply_error("ASK 3999 :6381", "::1");
  EXPECT_EQ(e.node, (ClusterNode{"::1", 6381}));
  e = classify_reply_error("MOVED 3999 :6381", "");
  EXPECT_EQ(e.kind, ReplyErrorKind::kBadRedirect);
  EXPECT_NE(e.problem, "");
}

TEST(Redirect, TransientStatesAndReplicas) {
  const std::pair<const char*, ReplyErrorKind> known[] = {
      {"TRYAGAIN Multiple keys request during rehashing of slot",
       ReplyErrorKind::kTryAgain},
      {"CLUSTERDOWN Hash slot not served", ReplyErrorKind::kClusterDown},
      {"CLUSTERDOWN The cluster is down", ReplyErrorKind::kClusterDown},
      {"READONLY You can't write against a read only replica.",
       ReplyErrorKind::kReadOnly},
      {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
       ReplyErrorKind::kMasterDown},
      {"TRYAGAIN", ReplyErrorKind::kTryAgain},
      {"ERR unknown command 'CLUSTER'", ReplyErrorKind::kOther},
      {"WRONGTYPE Operation against a key holding the wrong kind of value",
       ReplyErrorKind::kOther},
      {"", ReplyErrorKind::kOther},
      {"moved 1 a:1", ReplyErrorKind::kOther},  // codes are upper case
      {"MOVEDX 1 a:1", ReplyErrorKind::kOther},
      {"READONLYX", ReplyErrorKind::kOther},
  };
  for (const auto& [text, kind] : known) {
    const auto e = classify_reply_error(text, "127.0.0.1");
    EXPECT_EQ(e.kind, kind) << text;
    EXPECT_EQ(e.problem, "") << text;
  }
}

TEST(Redirect, MalformedRedirectionsAreNotFollowed) {
  for (const char* text : {
           "MOVED",
           "MOVED ",
           "ASK 12",
           "MOVED 12 ",
           "MOVED 16384 127.0.0.1:7000",  // not a slot
           "MOVED 99999 127.0.0.1:7000",
           "MOVED 123456 127.0.0.1:7000",
           "MOVED -1 127.0.0.1:7000",
           "MOVED +1 127.0.0.1:7000",
           "MOVED 0x1 127.0.0.1:7000",
           "MOVED  1 127.0.0.1:7000",
           "MOVED 1 127.0.0.1",  // no port
           "MOVED 1 127.0.0.1:",
           "MOVED 1 127.0.0.1:0",
           "MOVED 1 127.0.0.1:65536",
           "MOVED 1 127.0.0.1:7000x",
           "MOVED 1 127.0.0.1:-7000",
           "MOVED 1 127.0.0.1:070000",
           "ASK 1 127.0.0.1:7000 extra",  // a space in the host
           "ASK 1 [::1:7000",
           "ASK 1 []:7000",
           "ASK 1 ho\tst:7000",
           "ASK 1 h\xc3\xa9:7000",
       }) {
    const auto e = classify_reply_error(text, "127.0.0.1");
    EXPECT_EQ(e.kind, ReplyErrorKind::kBadRedirect) << text;
    EXPECT_NE(e.problem, "") << text;
  }
  // A NUL inside the text (hiredis keeps the length).
  const std::string nul("MOVED 1 a\0b:7000", 16);
  EXPECT_EQ(classify_reply_error(nul, "127.0.0.1").kind, ReplyErrorKind::kBadRedirect);
}

}  // namespace
