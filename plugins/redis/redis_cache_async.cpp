// RedisCache's asynchronous get and set: written and answered on the host's
// event loop that makes the call, or queued for the plugin's own loop from
// any other thread (and answered there, or by cancel()).
#include <hiredis/hiredis.h>

#include <array>

#include "redis_cache.h"

namespace fibd_redis {

namespace {

const char* command_name(AsyncCall::Kind kind) {
  return kind == AsyncCall::Kind::Get ? "GET" : "SET";
}

bool has_completion(const fibd_cache_call* call) {
  return call != nullptr &&
         FIBD_CACHE_HAS_FIELD(fibd_cache_call, call->struct_size, completion) &&
         call->completion != nullptr &&
         FIBD_CACHE_HAS_FIELD(fibd_cache_completion, call->completion->struct_size,
                              complete) &&
         call->completion->complete != nullptr;
}

}  // namespace

fibd_cache_status RedisCache::get(std::string_view key, const fibd_cache_call* call,
                                  std::string& error) {
  gets_.fetch_add(1, std::memory_order_relaxed);
  std::string k = key_for(key);
  std::string_view args[] = {"GET", k};
  return start(Command::Kind::Get, args, call, error);
}

fibd_cache_status RedisCache::set(std::string_view key, std::string_view value,
                                  uint64_t ttl_ms, const fibd_cache_call* call,
                                  std::string& error) {
  sets_.fetch_add(1, std::memory_order_relaxed);
  std::string k = key_for(key);
  std::string ttl = std::to_string(ttl_ms);
  std::array<std::string_view, 5> args = {"SET", k, value, "PX", ttl};
  return start(Command::Kind::Set, std::span(args.data(), ttl_ms == 0 ? 3 : 5), call,
               error);
}

fibd_cache_status RedisCache::start(Command::Kind kind,
                                    std::span<const std::string_view> args,
                                    const fibd_cache_call* call, std::string& error) {
  // Checks that cost the breaker nothing come first: a half-open probe must
  // always reach Redis and report back.
  if (!has_completion(call)) {
    errors_.add();
    error =
        "redis.so answers get and set asynchronously (FIBD_CACHE_FEATURE_ASYNC): "
        "the call must carry a completion";
    return FIBD_CACHE_ERROR;
  }
  if (!target_.known()) {
    errors_.add();
    error = "no sentinel has named a master '" + opts_.master_name + "' that answers yet";
    return FIBD_CACHE_ERROR;
  }
  auto pending = std::make_shared<AsyncCall>(
      kind == Command::Kind::Get ? AsyncCall::Kind::Get : AsyncCall::Kind::Set, *call);
  if (call->deadline_ns != 0 && call->deadline_ns <= clock_.now_ns()) {
    // Nobody waits for it any more (the host cancels it next): given up at
    // once, without touching Redis or the breaker.
    deadline_expired_.fetch_add(1, std::memory_order_relaxed);
    pending->complete(FIBD_CACHE_CANCELLED);
    return FIBD_CACHE_PENDING;
  }
  auto cmd = std::make_unique<Command>(kind, format_command(args), pending);
  if (cluster_ && !(cmd->node = cluster_->route(args[1]))) {
    cluster_->refresh_soon();
    const std::string why = "no slot map of the Redis Cluster serves slot " +
                            std::to_string(key_slot(args[1])) + " now";
    if (kind == Command::Kind::Set) {
      errors_.add();
      error = why;
      return FIBD_CACHE_ERROR;
    }
    misses_.fetch_add(1, std::memory_order_relaxed);  // fibd computes it
    pending->complete(FIBD_CACHE_NOT_FOUND);
    return FIBD_CACHE_PENDING;
  }
  // What may throw (out of memory) comes before the breaker's verdict and
  // before the call is registered: nothing is owed when it does.
  NodeLinks* links = loops_.links_for(*call);
  Link* link = links != nullptr ? &link_of(*links, *cmd) : nullptr;
  if (link != nullptr) {
    cmd->loop = call->loop;
    if (link->breaker == nullptr) link->breaker = &breaker_of(*cmd);
    cmd->breaker = link->breaker;
  }
  OwnLoop::Work to_own;
  Command* raw = cmd.get();
  if (link == nullptr)
    to_own = [this, raw] {
      std::unique_ptr<Command> owned(raw);
      send_own(owned);
    };
  if (!admit(breaker_of(*cmd), error)) {
    errors_.add();
    return FIBD_CACHE_ERROR;
  }
  calls_.add(pending);
  if (link != nullptr) {
    // On the caller's loop: written at the end of its iteration, answered
    // when the loop reads the reply.
    Error err;
    if (!send(*link, cmd, err)) on_result(*cmd, nullptr, err);  // completes the call now
    return FIBD_CACHE_PENDING;
  }
  // Another thread: the own loop writes it. It may have completed already:
  // the contract allows that.
  cmd.release();
  bool queued = false;
  try {
    queued = own_.post(std::move(to_own));
  } catch (...) {
    cmd.reset(raw);
    calls_.forget(pending->call_id);
    throw;
  }
  if (queued) return FIBD_CACHE_PENDING;
  cmd.reset(raw);
  calls_.forget(pending->call_id);  // answered here: no completion follows
  error = "the redis plugin instance is being destroyed";
  return FIBD_CACHE_ERROR;
}

bool RedisCache::admit(Breaker& breaker, std::string& error) {
  auto decision = breaker.breaker.allow();
  if (!decision.allowed) error = breaker_refusal(breaker, decision);
  return decision.allowed;
}

void RedisCache::cancel(uint64_t call_id) { calls_.cancel(call_id, cancelled_); }

void RedisCache::finish(Command& cmd, fibd_cache_status status, std::string_view value,
                        const std::string& message) {
  if (!calls_.claim(*cmd.call)) return;
  switch (status) {
    case FIBD_CACHE_HIT:
      hits_.fetch_add(1, std::memory_order_relaxed);
      break;
    case FIBD_CACHE_NOT_FOUND:
      misses_.fetch_add(1, std::memory_order_relaxed);
      break;
    case FIBD_CACHE_ERROR:
      errors_.add();
      break;
    default:
      break;
  }
  cmd.call->deliver(status, value, message.empty() ? nullptr : message.c_str());
}

void RedisCache::on_connection_error(const Address& node, const Error& why) {
  record_failure(breakers_.of(cluster_ ? std::optional(node) : std::nullopt), why,
                 "reply");
}

void RedisCache::on_result(Command& cmd, const redisReply* r, const Error& err) {
  const char* what = command_name(cmd.call->kind);
  if (cluster_ && on_cluster_result(cmd, r, err)) return;
  // In sentinel mode a lost connection, or a node that is no master (any
  // more), is a reason to ask the sentinels again.
  const bool moved = err.kind == ErrorKind::Io || err.kind == ErrorKind::Connect ||
                     err.kind == ErrorKind::NotMaster ||
                     reply_error_text(r).starts_with("READONLY");
  if (sentinel_ && moved) sentinel_->refresh_soon();
  if (err.kind != ErrorKind::None) {
    if (err.kind != ErrorKind::Closed) record_failure(breaker_of(cmd), err, what);
    finish(cmd, FIBD_CACHE_ERROR, {}, err.message);
    return;
  }
  // Any answer says whether Redis serves, even one nobody waits for now.
  record(breaker_of(cmd), reply_error_text(r), what);
  if (cmd.call->done()) {
    late_replies_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (cmd.call->kind == AsyncCall::Kind::Get && r->type == REDIS_REPLY_NIL)
    finish(cmd, FIBD_CACHE_NOT_FOUND, {}, {});
  else if (cmd.call->kind == AsyncCall::Kind::Get && r->type == REDIS_REPLY_STRING)
    finish(cmd, FIBD_CACHE_HIT, std::string_view(r->str, static_cast<size_t>(r->len)),
           {});
  else if (cmd.call->kind == AsyncCall::Kind::Set && r->type == REDIS_REPLY_STATUS)
    finish(cmd, FIBD_CACHE_OK, {}, {});
  else
    finish(cmd, FIBD_CACHE_ERROR, {}, refused(r->type, reply_error_text(r), what));
}

}  // namespace fibd_redis
