// Redis Cluster hash slots (plugins/redis/key_slot.h): the values a real
// Redis 7 answers to CLUSTER KEYSLOT, hash tags included.
#include <gtest/gtest.h>

#include <string>

#include "key_slot.h"

namespace {

using fibd_redis::crc16_xmodem;
using fibd_redis::key_slot;

TEST(KeySlot, Crc16IsTheXmodemVariant) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);  // the specification's check value
  EXPECT_EQ(crc16_xmodem(""), 0);
}

// Each pair is what `redis-cli cluster keyslot KEY` answered on Redis 7.0.
TEST(KeySlot, MatchesRedis) {
  const std::pair<std::string, uint16_t> known[] = {
      {"123456789", 12739},
      {"foo", 12182},
      {"bar", 5061},
      {"hello", 866},
      {"", 0},
      {"fibd:90", 131},
      {std::string("a\0b\xff", 4), 7390},
  };
  for (const auto& [key, slot] : known) EXPECT_EQ(key_slot(key), slot) << key;
}

TEST(KeySlot, HashTagsAsRedisReadsThem) {
  const std::pair<std::string, uint16_t> known[] = {
      {"{user1000}.following", 3443},
      {"{user1000}.followers", 3443},
      {"foo{bar}{zap}", 5061},  // the first tag only: "bar"
      {"foo{{bar}}zap", 4015},  // from the first '{' to the first '}': "{bar"
      {"foo{}{bar}", 8363},     // an empty first tag: the whole key
      {"{}", 15257},
      {"{", 4092},
      {"}", 12090},
      {"}{x}", 16287},  // a '}' before the '{' does not count
      {"a{b", 13340},   // no '}' after the '{': the whole key
      {"x{}y{z}", 15453},
      {"fibd:{90}", 2398},
      {"{fibd:}90", 6912},
  };
  for (const auto& [key, slot] : known) EXPECT_EQ(key_slot(key), slot) << key;
  EXPECT_EQ(key_slot("{90}"), key_slot("90"));
  EXPECT_EQ(key_slot("prefix:{90}"), key_slot("other:{90}:suffix"));
}

TEST(KeySlot, AlwaysBelow16384) {
  std::string key;
  for (int i = 0; i < 5000; ++i) {
    key += static_cast<char>(i * 7919);
    EXPECT_LT(key_slot(key), 16384);
  }
}

}  // namespace
