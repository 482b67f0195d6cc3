// RedisCache in cluster mode: the first slot map, and what a node's answer
// means for a get or set (redirect.h): MOVED and ASK followed once, on the
// loop the command went on; a node that cannot answer now is a miss for a
// get (fibd computes the value) and an error for a set.
#include <hiredis/hiredis.h>

#include "redirect.h"
#include "redis_cache.h"

namespace fibd_redis {

bool RedisCache::learn_map(std::string& error) {
  auto done = std::make_shared<SyncResult>();
  const auto each = opts_.connect_timeout + opts_.command_timeout;
  own_.run([this, done] { cluster_->refresh(done); }, *done,
           Clock::now() + 2 * each * static_cast<int>(opts_.cluster_nodes.size() + 1));
  if (cluster_->known()) return true;
  const Error& why = cluster_->last_error();
  if (why.kind == ErrorKind::Auth) {
    error = why.message + " (options 'username', 'password')";
    return false;
  }
  log_.log(
      FIBD_LOG_WARN,
      "no slot map of " + where() + " now (" +
          (why.message.empty() ? std::string("no node answered in time") : why.message) +
          "); starting anyway: requests skip the cache until a node answers");
  return true;
}

void RedisCache::cluster_miss(Command& cmd, const std::string& why) {
  log_.log_limited(FIBD_LOG_WARN, why);
  if (cmd.call->kind == AsyncCall::Kind::Get)
    finish(cmd, FIBD_CACHE_NOT_FOUND, {}, {});
  else
    finish(cmd, FIBD_CACHE_ERROR, {}, why);
}

bool RedisCache::on_cluster_result(Command& cmd, const redisReply* r, const Error& err) {
  const char* what = cmd.call->kind == AsyncCall::Kind::Get ? "GET" : "SET";
  const std::string node = cmd.node ? cmd.node->to_string() : std::string("?");
  if (err.kind == ErrorKind::Closed) return false;
  if (err.kind != ErrorKind::None) {
    // An unreachable node: its replica may be taking over. Only a timeout
    // opens its breaker (a call would wait as long again); a refused or
    // lost connection is answered at once, as a miss, and a new map asked.
    if (err.kind == ErrorKind::Timeout) record_failure(breaker_of(cmd), err, what);
    cluster_->refresh_soon();
    cluster_miss(cmd,
                 std::string(what) + " at cluster node " + node + ": " + err.message);
    return true;
  }
  const std::string_view text = reply_error_text(r);
  if (text.empty()) return false;
  const ReplyError e = classify_reply_error(text, cmd.node ? cmd.node->host : "");
  switch (e.kind) {
    case ReplyErrorKind::kOther:
      return false;
    case ReplyErrorKind::kMoved:
      cluster_->refresh_soon();
      [[fallthrough]];
    case ReplyErrorKind::kAsk:
      record_success(breaker_of(cmd));  // the node answers
      if (cmd.call->done()) {           // nobody waits for it any more
        late_replies_.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      if (cmd.redirects == 0) {
        redirect(cmd, Address{false, e.node.host, e.node.port, {}},
                 e.kind == ReplyErrorKind::kAsk);
        return true;
      }
      cluster_miss(cmd, std::string(what) + " redirected twice (cluster node " + node +
                            " answered " + std::string(text) + ")");
      return true;
    case ReplyErrorKind::kBadRedirect:
      record_success(breaker_of(cmd));
      cluster_miss(cmd, std::string(what) + ": cluster node " + node +
                            " sent a redirection that is refused (" + e.problem + ")");
      return true;
    case ReplyErrorKind::kTryAgain:
      record_success(breaker_of(cmd));
      break;
    case ReplyErrorKind::kClusterDown:
    case ReplyErrorKind::kReadOnly:
    case ReplyErrorKind::kMasterDown:
      record(breaker_of(cmd), text, what);
      cluster_->refresh_soon();
      break;
  }
  cluster_miss(cmd,
               std::string(what) + " at cluster node " + node + ": " + std::string(text));
  return true;
}

void RedisCache::count_redirect(bool asking) {
  redirects_.fetch_add(1, std::memory_order_relaxed);
  metrics_.add(asking ? "cluster_redirects_ask" : "cluster_redirects_moved");
}

void RedisCache::redirect(Command& cmd, const Address& to, bool asking) {
  count_redirect(asking);
  auto next = std::make_unique<Command>(cmd.kind, cmd.bytes, cmd.call);
  next->node = to;
  next->redirects = cmd.redirects + 1;
  next->loop = cmd.loop;
  next->asking = asking;
  // On the loop the command went on (this thread): a hit stays on it.
  NodeLinks& links = cmd.loop != nullptr ? loops_.of(cmd.loop) : own_links_;
  Error err;
  if (!send(links.to(to), next, err)) on_result(*next, nullptr, err);
}

std::optional<Reply> RedisCache::execute_keyed(std::span<const std::string_view> args,
                                               std::string_view key, Error& why) {
  const std::optional<Address> node = cluster_->route(key);
  if (!node) {
    cluster_->refresh_soon();
    why = {ErrorKind::NotMaster, "no slot map of the Redis Cluster serves slot " +
                                     std::to_string(key_slot(key)) + " now"};
    return std::nullopt;
  }
  auto r = execute(args, deadline(), why, true, node);
  if (!r) return r;
  const ReplyError e = classify_reply_error(r->error_text(), node->host);
  if (e.kind != ReplyErrorKind::kMoved && e.kind != ReplyErrorKind::kAsk) return r;
  if (e.kind == ReplyErrorKind::kMoved) cluster_->refresh_soon();
  count_redirect(e.kind == ReplyErrorKind::kAsk);
  return execute(args, deadline(), why, true,
                 Address{false, e.node.host, e.node.port, {}},
                 e.kind == ReplyErrorKind::kAsk);
}

}  // namespace fibd_redis
