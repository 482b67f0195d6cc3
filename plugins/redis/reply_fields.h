// Reading the parts of a redisReply tree that cluster replies are made of,
// the same way on hiredis 0.14 (RESP2 only) and 1.x (RESP2 and RESP3).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace fibd_redis {

// The type codes hiredis gives replies (the same in 0.14 and 1.x; the
// RESP3 ones exist in 1.x only, and a tree may carry them either way).
inline constexpr int kReplyString = 1;
inline constexpr int kReplyArray = 2;
inline constexpr int kReplyInteger = 3;
inline constexpr int kReplyNil = 4;
inline constexpr int kReplyStatus = 5;
inline constexpr int kReplyError = 6;
inline constexpr int kReplyMap = 9;

bool is_text(const redisReply* r);              // a bulk string or a status
std::string_view text_of(const redisReply* r);  // is_text(r) only
bool is_array(const redisReply* r);

// A key/value reply (a RESP3 map, or a RESP2 array of alternating keys and
// values): values[i] is the value of names[i], nullptr when absent. Other
// keys are ignored (newer servers add fields). An error if `r` is not such
// a reply, a key is not a string, or one of `names` comes twice.
std::optional<std::string> read_fields(const redisReply* r,
                                       std::initializer_list<std::string_view> names,
                                       std::vector<const redisReply*>& values);

// An integer reply within [min, max].
std::optional<long long> integer_in(const redisReply* r, long long min, long long max);

}  // namespace fibd_redis
