#include "redis_cache.h"

#include <hiredis/hiredis.h>

#include <array>
#include <vector>

namespace fibd_redis {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

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
    : opts_(std::move(opts)), log_(host), clock_(host), pool_(opts_, 1) {}

RedisCache::~RedisCache() {
  if (pipeline_) pipeline_->stop();
  if (loops_) loops_->clear();
  // Nothing is left once the pipeline has failed what it held; a call that
  // never reached it (none should) still gets its one completion.
  calls_.fail_all("the redis plugin instance is being destroyed");
}

std::unique_ptr<RedisCache> RedisCache::create(const fibd_cache_host* host,
                                               const fibd_cache_config* config,
                                               EnvLookup env, std::string& error) {
  auto opts = parse_options(config, env, error);
  if (!opts) return nullptr;
  std::unique_ptr<RedisCache> self(new RedisCache(host, std::move(*opts)));
  const Options& o = self->opts_;
  const std::string addr = o.address.to_string();

  // One connection now: it tells bad credentials (fatal) from an absent
  // Redis (not fatal: the breaker starts open and probes until it answers).
  Error e;
  Deadline deadline = Clock::now() + o.connect_timeout + o.command_timeout;
  auto conn = Connection::open(o, deadline, e);
  if (conn) {
    std::string_view ping[] = {"PING"};
    ReplyPtr r = conn->command(ping, deadline, e);
    if (r && starts_with(reply_error_text(r.get()), "NOAUTH")) {
      error = "Redis at " + addr +
              " requires authentication: set option 'password' (and 'username' for an "
              "ACL user): " +
              std::string(reply_error_text(r.get()));
      return nullptr;
    }
    if (r) {
      self->pool_.adopt(std::move(conn));
    } else if (e.kind == ErrorKind::Auth || e.kind == ErrorKind::Select) {
      error = e.message;
      return nullptr;
    }
  } else if (e.kind == ErrorKind::Auth || e.kind == ErrorKind::Select) {
    error = e.message;
    return nullptr;
  }
  if (e.kind != ErrorKind::None) {
    self->breaker_.trip();
    self->outage_started_ns_.store(now_ns());
    self->log_.log(FIBD_LOG_WARN,
                   "Redis at " + addr + " is not reachable now (" + e.message +
                       "); starting anyway: requests skip the cache until Redis answers");
  }
  self->pipeline_ = std::make_unique<Pipeline>(self->opts_, self->clock_, *self);
  self->pipeline_->start(/*connect=*/e.kind == ErrorKind::None);
  self->loops_ = std::make_unique<LoopLinks>(self->opts_, host, self->clock_, *self,
                                             self->pipeline_->counters());
  self->log_.log(FIBD_LOG_INFO,
                 "using Redis at " + addr + ", db " + std::to_string(o.db) +
                     ", key_prefix '" + o.key_prefix + "', " +
                     std::to_string(o.pool_size) +
                     " pipelined connection(s) (pool_size), connect_timeout " +
                     format_duration(o.connect_timeout) + ", command_timeout " +
                     format_duration(o.command_timeout) +
                     (o.password.empty()   ? ""
                      : o.username.empty() ? ", AUTH with password"
                                           : ", AUTH as user '" + o.username + "'"));
  return self;
}

std::string RedisCache::key_for(std::string_view key) const {
  std::string k;
  k.reserve(opts_.key_prefix.size() + key.size());
  k += opts_.key_prefix;
  k += key;
  return k;
}

void RedisCache::record_success() {
  if (breaker_.on_success() == CircuitBreaker::Transition::Closed) {
    int64_t started = outage_started_ns_.exchange(0);
    std::string after;
    if (started != 0)
      after = " after " +
              format_duration(std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::nanoseconds(now_ns() - started)));
    log_.log(FIBD_LOG_INFO, "Redis at " + opts_.address.to_string() + " answers again" +
                                after + "; cache resumed");
  }
}

void RedisCache::record_failure(const Error& e, std::string_view what) {
  // A timeout opens the breaker at once: Redis took all of command_timeout
  // without answering, and the next call (often the same request's SET right
  // after its GET) would most likely wait as long again. So a request pays
  // at most one command_timeout, even from a single client.
  const bool timeout = e.kind == ErrorKind::Timeout;
  if (timeout) timeouts_.fetch_add(1, std::memory_order_relaxed);
  auto t = timeout ? breaker_.trip() : breaker_.on_failure();
  if (t == CircuitBreaker::Transition::Opened) {
    int64_t zero = 0;
    outage_started_ns_.compare_exchange_strong(zero, now_ns());
    const auto& p = breaker_.params();
    log_.log(FIBD_LOG_WARN, "Redis at " + opts_.address.to_string() + " is failing (" +
                                std::string(what) + ": " + e.message +
                                "); circuit breaker open: requests skip the cache, "
                                "one probe after " +
                                std::to_string(p.initial_backoff.count()) +
                                "ms, backing off up to " +
                                std::to_string(p.max_backoff.count()) + "ms");
  } else {
    log_.log_limited(FIBD_LOG_WARN, std::string(what) + " failed: " + e.message);
  }
}

namespace {

std::string breaker_refusal(const Address& address, const CircuitBreaker::Decision& d) {
  return "Redis at " + address.to_string() +
         " unavailable (circuit breaker open after repeated failures; " +
         (d.retry_in.count() > 0
              ? "next attempt in " + std::to_string(d.retry_in.count()) + "ms)"
              : std::string("a probe is in flight)"));
}

}  // namespace

bool RedisCache::admit(std::string& error) {
  auto decision = breaker_.allow();
  if (!decision.allowed) error = breaker_refusal(opts_.address, decision);
  return decision.allowed;
}

ReplyPtr RedisCache::execute(std::span<const std::string_view> args, Deadline deadline,
                             std::string& error) {
  const std::string_view what = args.empty() ? std::string_view("command") : args[0];
  auto decision = breaker_.allow();
  if (!decision.allowed) {
    error = breaker_refusal(opts_.address, decision);
    return nullptr;
  }
  Error e;
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_.acquire(deadline, e);
    if (!lease) break;
    ReplyPtr r = (*lease)->command(args, deadline, e);
    if (r) {
      auto text = reply_error_text(r.get());
      if (!text.empty() && unavailable_reply(text))
        record_failure({ErrorKind::Reply, std::string(text)}, what);
      else
        record_success();
      return r;
    }
    // The lease closes the broken connection when it goes. A pooled
    // connection that was found closed had most likely outlived a Redis
    // restart, like its idle siblings: drop them and try once more afresh.
    const bool stale = lease->reused() && e.kind == ErrorKind::Io;
    lease.reset();
    if (!stale || attempt > 0 || Clock::now() >= deadline) break;
    pool_.drop_idle();
    retries_.fetch_add(1, std::memory_order_relaxed);
  }
  if (e.kind == ErrorKind::Timeout)
    e.message += " (command_timeout " + format_duration(opts_.command_timeout) + ")";
  error = e.message;
  // A full pool says nothing about Redis' health, except for the probe,
  // which must report some outcome.
  if (e.kind == ErrorKind::Busy && !decision.probe)
    log_.log_limited(FIBD_LOG_WARN, std::string(what) + " failed: " + e.message);
  else
    record_failure(e, what);
  return nullptr;
}

std::string RedisCache::refused(const redisReply* r, std::string_view what) {
  std::string error =
      std::string(what) + ": " +
      (r->type == REDIS_REPLY_ERROR ? std::string(reply_error_text(r))
                                    : "unexpected reply type " + std::to_string(r->type));
  log_.log_limited(FIBD_LOG_WARN, "Redis refused " + error);
  return error;
}

fibd_cache_status RedisCache::del(std::string_view key, std::string& error) {
  dels_.fetch_add(1, std::memory_order_relaxed);
  std::string k = key_for(key);
  std::string_view args[] = {"DEL", k};
  ReplyPtr r = execute(args, deadline(), error);
  if (!r) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return FIBD_CACHE_ERROR;
  }
  if (r->type == REDIS_REPLY_INTEGER)
    return r->integer > 0 ? FIBD_CACHE_OK : FIBD_CACHE_NOT_FOUND;
  errors_.fetch_add(1, std::memory_order_relaxed);
  error = refused(r.get(), "DEL");
  return FIBD_CACHE_ERROR;
}

fibd_cache_status RedisCache::clear(std::string& error) {
  clears_.fetch_add(1, std::memory_order_relaxed);
  // Only our keys: Redis may be shared. SCAN is incremental, so each step is
  // one bounded command; keys are removed with UNLINK (freed in background).
  const std::string pattern = glob_escape(opts_.key_prefix) + "*";
  std::string cursor = "0";
  auto fail = [&](std::string msg) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    error = std::move(msg);
    return FIBD_CACHE_ERROR;
  };
  do {
    std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
    ReplyPtr r = execute(scan, deadline(), error);
    if (!r) return fail(error);
    if (r->type == REDIS_REPLY_ERROR) return fail(refused(r.get(), "SCAN"));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY)
      return fail("SCAN: unexpected reply");
    cursor.assign(r->element[0]->str, r->element[0]->len);
    const redisReply* keys = r->element[1];
    if (keys->elements == 0) continue;
    std::vector<std::string_view> unlink{"UNLINK"};
    for (size_t i = 0; i < keys->elements; ++i)
      if (keys->element[i]->type == REDIS_REPLY_STRING)
        unlink.emplace_back(keys->element[i]->str, keys->element[i]->len);
    ReplyPtr u = execute(unlink, deadline(), error);
    if (!u) return fail(error);
    if (u->type == REDIS_REPLY_ERROR) return fail(refused(u.get(), "UNLINK"));
  } while (cursor != "0");
  return FIBD_CACHE_OK;
}

void RedisCache::stats(const fibd_cache_stats_sink* sink) const {
  if (sink == nullptr || sink->put == nullptr) return;
  auto put = [&](const char* name, uint64_t v) { sink->put(sink->ctx, name, v); };
  auto ld = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  put("gets", ld(gets_));
  put("hits", ld(hits_));
  put("misses", ld(misses_));
  put("sets", ld(sets_));
  put("dels", ld(dels_));
  put("clears", ld(clears_));
  put("errors", ld(errors_));
  put("timeouts", ld(timeouts_));
  put("retries", ld(retries_));
  put("cancelled", ld(cancelled_));
  put("deadline_expired", ld(deadline_expired_));
  put("late_replies", ld(late_replies_));
  put("pending_calls", calls_.size());
  const PipelineCounters& p = pipeline_->counters();
  put("in_flight", ld(p.in_flight));
  put("pool_size", static_cast<uint64_t>(opts_.pool_size));
  put("pool_connections", pipeline_->connected());
  put("pool_idle", pipeline_->idle());
  put("loop_connections", loops_->connected());
  put("loop_idle", loops_->idle());
  put("connects", ld(p.connects) + pool_.connects());
  put("connect_failures", ld(p.connect_failures) + pool_.connect_failures());
  put("connections_discarded", ld(p.discarded) + pool_.discarded());
  put("unsolicited_replies", ld(p.unsolicited));
  put("breaker_state", static_cast<uint64_t>(breaker_.state()));
  put("breaker_opens", breaker_.opens());
  put("breaker_rejected", breaker_.rejected());
  put("breaker_backoff_ms", static_cast<uint64_t>(breaker_.current_backoff().count()));
  put("log_suppressed", log_.suppressed_total());
}

}  // namespace fibd_redis
