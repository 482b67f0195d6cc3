#include "reply_guard.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <mutex>

namespace fibd_redis {

namespace {

redisReplyObjectFunctions original;  // hiredis' own, copied once
redisReplyObjectFunctions guarded;   // the same, each create* wrapped

// A reply starts with a task that has no parent. Were it to complete,
// redisProcessCallbacks would shift a callback; with none queued it asserts
// unless the reply is an error.
bool unsolicited(const redisReadTask* task) {
  // hiredis itself handles an error reply to no command (a Redis at
  // maxclients says so, then closes): it disconnects with Redis' text.
  if (task->parent != nullptr || task->type == REDIS_REPLY_ERROR) return false;
  auto* ac = static_cast<redisAsyncContext*>(task->privdata);
  // A subscribed context (a sentinel's +switch-master) is sent messages.
  if (ac == nullptr || ac->replies.head != nullptr || (ac->c.flags & REDIS_SUBSCRIBED))
    return false;
  if (ac->data != nullptr)
    static_cast<UnsolicitedReplyListener*>(ac->data)->on_unsolicited_reply(ac);
  return true;
}

template <typename Create>
struct Guard;

// One wrapper per create* member, whatever its arguments (hiredis 1.x has
// createDouble and createBool, and a size_t array length).
template <typename... Args>
struct Guard<void* (*)(const redisReadTask*, Args...)> {
  template <void* (*redisReplyObjectFunctions::*Member)(const redisReadTask*, Args...)>
  static void* create(const redisReadTask* task, Args... args) {
    // NULL reads to hiredis as out of memory: a reader error.
    if (unsolicited(task)) return nullptr;
    return (original.*Member)(task, args...);
  }
};

template <auto Member, typename Table>
void wrap(Table& table) {
  using Create = std::remove_reference_t<decltype(table.*Member)>;
  if (original.*Member != nullptr)
    table.*Member = &Guard<Create>::template create<Member>;
}

template <typename Table>
void wrap_all(Table& table) {
  wrap<&Table::createString>(table);
  wrap<&Table::createArray>(table);
  wrap<&Table::createInteger>(table);
  wrap<&Table::createNil>(table);
  if constexpr (requires { &Table::createDouble; }) wrap<&Table::createDouble>(table);
  if constexpr (requires { &Table::createBool; }) wrap<&Table::createBool>(table);
}

}  // namespace

void refuse_unsolicited_replies(redisAsyncContext* ac) {
  redisReader* reader = ac->c.reader;
  if (reader == nullptr || reader->fn == nullptr) return;
  static std::once_flag once;
  std::call_once(once, [reader] {
    original = *reader->fn;
    guarded = original;
    wrap_all(guarded);
  });
  reader->fn = &guarded;
  reader->privdata = ac;
}

}  // namespace fibd_redis
