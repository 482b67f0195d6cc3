// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its
// hash tag, modulo 16384, exactly as the Redis Cluster specification and
// keyHashSlot() in the server define it.
#pragma once

#include <cstdint>
#include <string_view>

namespace fibd_redis {

inline constexpr uint16_t kClusterSlots = 16384;

// CRC16-CCITT, XMODEM variant (polynomial 0x1021, initial value 0, no
// reflection, no final xor): crc16("123456789") == 0x31C3.
uint16_t crc16_xmodem(std::string_view bytes);

// A key with a hash tag (a '{', then the first '}' after it, with at least
// one byte between them) is hashed by the tag's bytes only, so that
// "{user1}.a" and "{user1}.b" share a slot. "{}x", "x{" and "x}" have none
// and are hashed whole.
uint16_t key_slot(std::string_view key);

}  // namespace fibd_redis
