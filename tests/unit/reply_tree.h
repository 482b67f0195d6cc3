// redisReply trees for the redis.so parser tests: built by hand (any shape,
// RESP3 maps too, whatever hiredis the build has), or read by hiredis'
// reader from wire bytes, as a connection would.
#pragma once

#include <hiredis/hiredis.h>

#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fibd_redis_test {

class ReplyTree {
 public:
  redisReply* str(std::string_view s, int type = REDIS_REPLY_STRING) {
    redisReply* r = node(type);
    r->str = strings_.emplace_back(s).data();
    r->len = s.size();
    return r;
  }
  redisReply* error(std::string_view s) { return str(s, REDIS_REPLY_ERROR); }
  redisReply* integer(long long v) {
    redisReply* r = node(REDIS_REPLY_INTEGER);
    r->integer = v;
    return r;
  }
  redisReply* nil() { return node(REDIS_REPLY_NIL); }
  redisReply* array(std::vector<redisReply*> elements, int type = REDIS_REPLY_ARRAY) {
    redisReply* r = node(type);
    auto& kids = children_.emplace_back(std::move(elements));
    r->elements = kids.size();
    r->element = kids.empty() ? nullptr : kids.data();
    return r;
  }
  redisReply* map(std::vector<redisReply*> keys_and_values) {
    return array(std::move(keys_and_values), 9);  // REDIS_REPLY_MAP in hiredis 1.x
  }

 private:
  redisReply* node(int type) {
    redisReply& r = nodes_.emplace_back();
    r.type = type;
    return &r;
  }
  std::deque<redisReply> nodes_;
  std::deque<std::string> strings_;
  std::deque<std::vector<redisReply*>> children_;
};

struct FreeReply {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, FreeReply>;

// The one reply `bytes` holds; nullptr if hiredis cannot read it (hiredis
// 0.14 reads no RESP3).
inline ReplyPtr read_reply(std::string_view bytes) {
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                  &redisReaderFree);
  void* reply = nullptr;
  if (redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK ||
      redisReaderGetReply(reader.get(), &reply) != REDIS_OK)
    return nullptr;
  return ReplyPtr(static_cast<redisReply*>(reply));
}

}  // namespace fibd_redis_test
