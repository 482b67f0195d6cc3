#include "reply_fields.h"

#include <hiredis/hiredis.h>

namespace fibd_redis {

static_assert(REDIS_REPLY_STRING == kReplyString && REDIS_REPLY_ARRAY == kReplyArray &&
              REDIS_REPLY_INTEGER == kReplyInteger && REDIS_REPLY_NIL == kReplyNil &&
              REDIS_REPLY_STATUS == kReplyStatus && REDIS_REPLY_ERROR == kReplyError);
#ifdef REDIS_REPLY_MAP
static_assert(REDIS_REPLY_MAP == kReplyMap);
#endif

bool is_text(const redisReply* r) {
  return r != nullptr && (r->type == kReplyString || r->type == kReplyStatus) &&
         (r->str != nullptr || r->len == 0);
}

std::string_view text_of(const redisReply* r) {
  return r->str == nullptr ? std::string_view{} : std::string_view(r->str, r->len);
}

bool is_array(const redisReply* r) {
  return r != nullptr && r->type == kReplyArray &&
         (r->element != nullptr || r->elements == 0);
}

std::optional<std::string> read_fields(const redisReply* r,
                                       std::initializer_list<std::string_view> names,
                                       std::vector<const redisReply*>& values) {
  values.assign(names.size(), nullptr);
  if (r == nullptr || (r->type != kReplyArray && r->type != kReplyMap) ||
      (r->element == nullptr && r->elements != 0))
    return "expected a map of fields";
  if (r->elements % 2 != 0) return "a map of fields with an odd number of elements";
  for (size_t i = 0; i < r->elements; i += 2) {
    const redisReply* key = r->element[i];
    if (!is_text(key)) return "a field name that is not a string";
    size_t n = 0;
    for (const std::string_view name : names) {
      if (text_of(key) == name) {
        if (values[n] != nullptr) return "field \"" + std::string(name) + "\" twice";
        values[n] = r->element[i + 1];
        if (values[n] == nullptr)
          return "field \"" + std::string(name) + "\" without a value";
      }
      ++n;
    }
  }
  return std::nullopt;
}

std::optional<long long> integer_in(const redisReply* r, long long min, long long max) {
  if (r == nullptr || r->type != kReplyInteger || r->integer < min || r->integer > max)
    return std::nullopt;
  return r->integer;
}

}  // namespace fibd_redis
