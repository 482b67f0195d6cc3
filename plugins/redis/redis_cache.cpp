#include "redis_cache.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "key_slot.h"

namespace fibd_redis {

namespace {

// Escapes glob metacharacters so a key_prefix matches only itself in SCAN.
std::string glob_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

}  // namespace

RedisCache::RedisCache(const fibd_cache_host* host, Options opts)
    : opts_(std::move(opts)),
      metrics_(host),
      log_(host),
      clock_(host),
      breakers_(CircuitBreaker::Params{},
                [this](CircuitBreaker::State now, bool opened) {
                  metrics_.set("breaker_state", static_cast<int64_t>(now));
                  if (opened) metrics_.add("breaker_opens");
                }),
      target_(Endpoint{opts_.address, opts_.username, opts_.password, opts_.db,
                       !opts_.sentinels.empty()},
              opts_.sentinels.empty()),
      loops_(ctx_, host) {
  metrics_.set("breaker_state", static_cast<int64_t>(breakers_.worst()));
  metrics_.add("breaker_opens", 0);
  if (!opts_.cluster_nodes.empty()) {
    cluster_ = std::make_unique<ClusterMap>(opts_, own_, own_links_, log_, metrics_);
    metrics_.add("cluster_redirects_moved", 0);
    metrics_.add("cluster_redirects_ask", 0);
  }
}

RedisCache::~RedisCache() {
  loops_.clear();
  // What is queued for the own loop runs first, then its link closes: every
  // command on it fails, on the loop's thread.
  own_.stop([this] {
    if (cluster_) cluster_->close();
    own_links_.clear();
    sentinel_.reset();
  });
  // A call that never reached a link (none should) still gets its one
  // completion.
  calls_.fail_all("the redis plugin instance is being destroyed");
}

std::unique_ptr<RedisCache> RedisCache::create(const fibd_cache_host* host,
                                               const fibd_cache_config* config,
                                               EnvLookup env, std::string& error) {
  auto opts = parse_options(config, env, error);
  if (!opts) return nullptr;
  std::unique_ptr<RedisCache> self(new RedisCache(host, std::move(*opts)));
  if (!self->opts_.sentinels.empty()) {
    if (!self->find_master(error)) return nullptr;
    // Its thread from now on: the sentinels' messages, and rounds again.
    self->own_.post([] {});
  }
  if (self->cluster_) {
    if (!self->learn_map(error)) return nullptr;
  } else if (self->target_.known() && !self->check(error)) {
    return nullptr;
  }
  const Options& o = self->opts_;
  self->log_.log(FIBD_LOG_INFO,
                 "using " + self->where() +
                     (self->cluster_ ? std::string() : ", db " + std::to_string(o.db)) +
                     ", key_prefix '" + o.key_prefix + "', connect_timeout " +
                     format_duration(o.connect_timeout) + ", command_timeout " +
                     format_duration(o.command_timeout) +
                     (o.password.empty()   ? ""
                      : o.username.empty() ? ", AUTH with password"
                                           : ", AUTH as user '" + o.username + "'"));
  return self;
}

std::string RedisCache::where() const {
  uint64_t generation = 0;
  const Endpoint to = target_.endpoint(generation);
  if (cluster_) {
    std::string seeds;
    for (const Address& a : opts_.cluster_nodes)
      seeds += (seeds.empty() ? "" : ",") + a.to_string();
    return "the Redis Cluster of " + seeds;
  }
  if (opts_.sentinels.empty()) return "Redis at " + to.address.to_string();
  return "the master '" + opts_.master_name + "'" +
         (target_.known() ? " at " + to.address.to_string() : std::string());
}

bool RedisCache::find_master(std::string& error) {
  sentinel_ = std::make_unique<SentinelWatch>(ctx_, own_, target_, log_);
  auto done = std::make_shared<SyncResult>();
  const auto each = opts_.connect_timeout + opts_.command_timeout;
  own_.run([this, done] { sentinel_->refresh(done); }, *done,
           Clock::now() + 2 * each * static_cast<int>(opts_.sentinels.size() + 1));
  if (target_.known()) return true;
  const Error& why = sentinel_->last_error();
  if (why.kind == ErrorKind::Auth) {
    error = why.message + " (options 'sentinel_username', 'sentinel_password')";
    return false;
  }
  log_.log(FIBD_LOG_WARN, "no master '" + opts_.master_name + "' found now (" +
                              why.message +
                              "); starting anyway: requests skip the cache until a "
                              "sentinel names one that answers");
  return true;
}

bool RedisCache::check(std::string& error) {
  // One PING now tells bad credentials (fatal) from an absent Redis (not
  // fatal: the breaker starts open and probes until it answers). Its
  // connection stays, for the next command without a loop.
  const std::string addr = where();
  std::string_view ping[] = {"PING"};
  Error why;
  auto r = execute(ping, Clock::now() + opts_.connect_timeout + opts_.command_timeout,
                   why, /*checked=*/false);
  if (r && r->error_text().starts_with("NOAUTH")) {
    error = addr +
            " requires authentication: set option 'password' (and 'username' for an "
            "ACL user): " +
            std::string(r->error_text());
    return false;
  }
  if (r && r->type == REDIS_REPLY_ERROR) {
    // Refused otherwise (a Redis at maxclients says so first, then closes):
    // the next command tries a connection of its own. No thread runs the
    // own loop during create(), so this one may close its link.
    own_links_.clear();
  }
  if (r) return true;
  if (why.kind == ErrorKind::Auth || why.kind == ErrorKind::Select) {
    error = why.message;
    return false;
  }
  Breaker& target = breakers_.of(std::nullopt);
  target.breaker.trip();
  target.outage_started_ns.store(now_ns());
  log_.log(FIBD_LOG_WARN,
           addr + " is not reachable now (" + why.message +
               "); starting anyway: requests skip the cache until Redis answers");
  return true;
}

std::string RedisCache::key_for(std::string_view key) const {
  std::string k;
  k.reserve(opts_.key_prefix.size() + key.size());
  k += opts_.key_prefix;
  k += key;
  return k;
}

std::string RedisCache::name_of(const Breaker& b) const {
  return b.node ? "cluster node " + b.node->to_string() : where();
}

Breaker& RedisCache::breaker_of(Command& cmd) {
  if (cmd.breaker == nullptr) cmd.breaker = &breakers_.of(cmd.node);
  return *cmd.breaker;
}

void RedisCache::record_success(Breaker& b) {
  if (b.breaker.on_success() == CircuitBreaker::Transition::Closed) {
    int64_t started = b.outage_started_ns.exchange(0);
    std::string after;
    if (started != 0)
      after = " after " +
              format_duration(std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::nanoseconds(now_ns() - started)));
    log_.log(FIBD_LOG_INFO, name_of(b) + " answers again" + after + "; cache resumed" +
                                (b.node ? " for its slots" : ""));
  }
}

void RedisCache::record_failure(Breaker& b, const Error& e, std::string_view what) {
  // A timeout opens the breaker at once: Redis took all of command_timeout
  // without answering, and the next call (often the same request's SET right
  // after its GET) would most likely wait as long again. So a request pays
  // at most one command_timeout, even from a single client.
  const bool timeout = e.kind == ErrorKind::Timeout;
  if (timeout) timeouts_.add();
  auto t = timeout ? b.breaker.trip() : b.breaker.on_failure();
  if (t == CircuitBreaker::Transition::Opened) {
    int64_t zero = 0;
    b.outage_started_ns.compare_exchange_strong(zero, now_ns());
    const auto& p = b.breaker.params();
    log_.log(FIBD_LOG_WARN,
             name_of(b) + " is failing (" + std::string(what) + ": " + e.message +
                 "); circuit breaker open: requests " + (b.node ? "for its slots " : "") +
                 "skip the cache, one probe after " +
                 std::to_string(p.initial_backoff.count()) + "ms, backing off up to " +
                 std::to_string(p.max_backoff.count()) + "ms");
  } else {
    log_.log_limited(FIBD_LOG_WARN, std::string(what) + " failed: " + e.message);
  }
}

// Any answer says whether Redis serves.
void RedisCache::record(Breaker& b, std::string_view error_reply, std::string_view what) {
  if (!error_reply.empty() && unavailable_reply(error_reply))
    record_failure(b, {ErrorKind::Reply, std::string(error_reply)}, what);
  else
    record_success(b);
}

std::string RedisCache::breaker_refusal(const Breaker& b,
                                        const CircuitBreaker::Decision& d) const {
  return name_of(b) + " unavailable (circuit breaker open after repeated failures; " +
         (d.retry_in.count() > 0
              ? "next attempt in " + std::to_string(d.retry_in.count()) + "ms)"
              : std::string("a probe is in flight)"));
}

Link& RedisCache::link_of(NodeLinks& links, const Command& cmd) {
  return cmd.node ? links.to(*cmd.node) : links.following(target_);
}

bool RedisCache::send(Link& link, std::unique_ptr<Command>& cmd, Error& err) {
  if (cmd->asking) {
    std::string_view asking[] = {"ASKING"};
    auto first =
        std::make_unique<Command>(Command::Kind::Asking, format_command(asking), nullptr);
    if (!link.send(first, err)) return false;
  }
  return link.send(cmd, err);
}

void RedisCache::send_own(std::unique_ptr<Command>& cmd) {
  Error err;
  if (send(link_of(own_links_, *cmd), cmd, err)) return;
  if (cmd->sync)
    cmd->sync->finish(nullptr, err);
  else
    on_result(*cmd, nullptr, err);
}

std::optional<Reply> RedisCache::execute(std::span<const std::string_view> args,
                                         Clock::time_point deadline, Error& e,
                                         bool checked, const std::optional<Address>& node,
                                         bool asking) {
  const std::string_view what = args.empty() ? std::string_view("command") : args[0];
  Breaker* breaker = checked ? &breakers_.of(node) : nullptr;
  if (breaker != nullptr) {
    auto decision = breaker->breaker.allow();
    if (!decision.allowed) {
      e = {ErrorKind::Connect, breaker_refusal(*breaker, decision)};
      return std::nullopt;
    }
  }
  auto result = std::make_shared<SyncResult>();
  auto cmd = std::make_shared<std::unique_ptr<Command>>(
      std::make_unique<Command>(format_command(args), result));
  (*cmd)->node = node;
  (*cmd)->asking = asking;
  own_.run([this, cmd] { send_own(*cmd); }, *result, deadline);
  if (!result->done()) {
    // Redis did not answer in time: the command stays on the connection,
    // whose own timeout resets it.
    e = {ErrorKind::Timeout, "timed out waiting for Redis to answer"};
  } else if (result->error().kind == ErrorKind::None) {
    if (breaker != nullptr) record(*breaker, result->reply().error_text(), what);
    return result->reply();
  } else {
    e = result->error();
  }
  if (e.kind == ErrorKind::Timeout &&
      e.message.find("command_timeout") == std::string::npos)
    e.message += " (command_timeout " + format_duration(opts_.command_timeout) + ")";
  if (breaker != nullptr && e.kind != ErrorKind::Closed)
    record_failure(*breaker, e, what);
  return std::nullopt;
}

std::string RedisCache::refused(int type, std::string_view error_text,
                                std::string_view what) {
  std::string error =
      std::string(what) + ": " +
      (type == REDIS_REPLY_ERROR ? std::string(error_text)
                                 : "unexpected reply type " + std::to_string(type));
  log_.log_limited(FIBD_LOG_WARN, "Redis refused " + error);
  return error;
}

fibd_cache_status RedisCache::del(std::string_view key, std::string& error) {
  dels_.fetch_add(1, std::memory_order_relaxed);
  std::string k = key_for(key);
  std::string_view args[] = {"DEL", k};
  Error e;
  auto r = cluster_ ? execute_keyed(args, k, e) : execute(args, deadline(), e);
  error = e.message;
  if (r && r->type == REDIS_REPLY_INTEGER)
    return r->integer > 0 ? FIBD_CACHE_OK : FIBD_CACHE_NOT_FOUND;
  errors_.add();
  if (r) error = refused(r->type, r->error_text(), "DEL");
  return FIBD_CACHE_ERROR;
}

fibd_cache_status RedisCache::clear(std::string& error) {
  clears_.fetch_add(1, std::memory_order_relaxed);
  if (!cluster_) return clear_on(std::nullopt, error);
  const std::vector<Address> masters = cluster_->masters();
  if (masters.empty()) {
    errors_.add();
    error = "no slot map of the Redis Cluster yet: no master to clear";
    return FIBD_CACHE_ERROR;
  }
  for (const Address& m : masters)
    if (clear_on(m, error) != FIBD_CACHE_OK) return FIBD_CACHE_ERROR;
  return FIBD_CACHE_OK;
}

fibd_cache_status RedisCache::clear_on(const std::optional<Address>& node,
                                       std::string& error) {
  // Only our keys: Redis may be shared. SCAN is incremental, so each step is
  // one bounded command; keys are removed with UNLINK (freed in background).
  const std::string pattern = glob_escape(opts_.key_prefix) + "*";
  std::string cursor = "0";
  auto fail = [&](std::string msg) {
    errors_.add();
    error = std::move(msg);
    return FIBD_CACHE_ERROR;
  };
  do {
    std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
    Error e;
    auto r = execute(scan, deadline(), e, true, node);
    if (!r) return fail(e.message);
    if (r->type == REDIS_REPLY_ERROR) return fail(refused(r->type, r->str, "SCAN"));
    if (r->type != REDIS_REPLY_ARRAY || r->element.size() != 2 ||
        r->element[0].type != REDIS_REPLY_STRING ||
        r->element[1].type != REDIS_REPLY_ARRAY)
      return fail("SCAN: unexpected reply");
    cursor = r->element[0].str;
    const auto& keys = r->element[1].element;
    if (keys.empty()) continue;
    // A cluster node takes the keys of one slot per command (CROSSSLOT).
    std::vector<std::pair<uint16_t, std::string_view>> found;
    for (const Reply& k : keys)
      if (k.type == REDIS_REPLY_STRING)
        found.emplace_back(node ? key_slot(k.str) : 0, k.str);
    std::sort(found.begin(), found.end());
    for (size_t i = 0; i < found.size();) {
      std::vector<std::string_view> unlink{"UNLINK"};
      for (const uint16_t slot = found[i].first;
           i < found.size() && found[i].first == slot; ++i)
        unlink.push_back(found[i].second);
      auto u = execute(unlink, deadline(), e, true, node);
      if (!u) return fail(e.message);
      if (u->type == REDIS_REPLY_ERROR) return fail(refused(u->type, u->str, "UNLINK"));
    }
  } while (cursor != "0");
  return FIBD_CACHE_OK;
}

}  // namespace fibd_redis
