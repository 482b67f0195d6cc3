#include "sentinel.h"

#include <hiredis/hiredis.h>

#include <string_view>

namespace fibd_redis {

namespace {

constexpr auto kRetry = std::chrono::milliseconds(500);

std::string_view text(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

// SENTINEL get-master-addr-by-name's answer: [host, port], or why not.
std::optional<Address> master_address(const Reply& r, std::string& why) {
  if (r.type == REDIS_REPLY_ERROR) {
    why = "it answered " + r.str;
    return std::nullopt;
  }
  if (r.type != REDIS_REPLY_ARRAY || r.element.size() != 2 ||
      r.element[0].type != REDIS_REPLY_STRING ||
      r.element[1].type != REDIS_REPLY_STRING) {
    why = "it names no master by that name";
    return std::nullopt;
  }
  const std::string& host = r.element[0].str;
  const std::string& port = r.element[1].str;
  int p = 0;
  for (char c : port)
    p = (c >= '0' && c <= '9' && p < 65536) ? p * 10 + (c - '0') : 65536;
  if (host.empty() || host.size() > 255 || port.empty() || p < 1 || p > 65535) {
    why = "it names a master at an address that is none";
    return std::nullopt;
  }
  return Address{false, host, p, {}};
}

}  // namespace

SentinelWatch::SentinelWatch(const LinkContext& ctx, OwnLoop& loop, Target& target,
                             Logger& log)
    : ctx_(ctx), loop_(loop), target_(target), log_(log) {
  const Options& o = ctx_.opts;
  data_ = Endpoint{{}, o.username, o.password, o.db, /*master_only=*/true};
  for (const Address& a : o.sentinels)
    sentinels_.push_back(std::make_unique<Link>(
        ctx_, Endpoint{a, o.sentinel_username, o.sentinel_password, 0, false}, loop_,
        nullptr));
}

SentinelWatch::~SentinelWatch() {
  closing_ = true;  // what the links fail now finds no round to go on with
  subscriber_.reset();
  probe_.reset();
  sentinels_.clear();
  if (timer_ != nullptr) loop_.free(timer_);
  for (auto& w : waiting_) w->finish(nullptr, {ErrorKind::Closed, "destroyed"});
}

void SentinelWatch::refresh(std::shared_ptr<SyncResult> done) {
  if (done) waiting_.push_back(std::move(done));
  if (asking_) return;
  asking_ = true;
  rounds_.add();
  ask(0);
}

void SentinelWatch::refresh_soon() {
  loop_.post([this] { refresh(); });
}

void SentinelWatch::ask(size_t i) {
  if (closing_) return;
  if (i >= sentinels_.size()) {
    end_round(false);
    return;
  }
  const Address& sentinel = sentinels_[i]->endpoint().address;
  auto result = std::make_shared<SyncResult>([this, i, sentinel](const SyncResult& r) {
    if (closing_) return;
    std::string why;
    std::optional<Address> master;
    if (r.error().kind != ErrorKind::None)
      why = r.error().message;
    else
      master = master_address(r.reply(), why);
    if (master) {
      probe(i, *master);
      return;
    }
    last_error_ = {
        r.error().kind == ErrorKind::Auth ? ErrorKind::Auth : ErrorKind::NotMaster,
        "sentinel " + sentinel.to_string() + ": " + why};
    ask(i + 1);
  });
  std::string_view args[] = {"SENTINEL", "get-master-addr-by-name",
                             ctx_.opts.master_name};
  auto cmd = std::make_unique<Command>(format_command(args), result);
  Error err;
  if (!sentinels_[i]->send(cmd, err)) result->finish(nullptr, err);
}

void SentinelWatch::probe(size_t i, const Address& candidate) {
  Endpoint to = data_;
  to.address = candidate;
  if (!probe_)
    probe_ = std::make_unique<Link>(ctx_, to, loop_, nullptr);
  else
    probe_->retarget(to, 0);
  const std::string named = "sentinel " + sentinels_[i]->endpoint().address.to_string() +
                            " names " + candidate.to_string();
  auto result =
      std::make_shared<SyncResult>([this, i, candidate, named](const SyncResult& r) {
        if (closing_) return;
        if (r.error().kind == ErrorKind::None && r.reply().type != REDIS_REPLY_ERROR) {
          const bool had_one = target_.known();
          if (target_.set(candidate)) {
            if (had_one) master_changes_.add();
            log_.log(FIBD_LOG_INFO, "the master '" + ctx_.opts.master_name + "' is at " +
                                        candidate.to_string() + " (" + named + ")");
          }
          subscribe(i);
          end_round(true);
          return;
        }
        last_error_ = {
            r.error().kind == ErrorKind::Auth ? ErrorKind::Auth : ErrorKind::NotMaster,
            named + ", which " +
                (r.error().kind != ErrorKind::None ? r.error().message
                                                   : "answered " + r.reply().str)};
        ask(i + 1);
      });
  std::string_view ping[] = {"PING"};
  auto cmd = std::make_unique<Command>(format_command(ping), result);
  Error err;
  if (!probe_->send(cmd, err)) result->finish(nullptr, err);
}

void SentinelWatch::end_round(bool found) {
  asking_ = false;
  if (!found) {
    log_.log_limited(FIBD_LOG_WARN, "no sentinel names a reachable master '" +
                                        ctx_.opts.master_name +
                                        "': " + last_error_.message);
    arm_timer(kRetry);
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) w->finish(nullptr, {});
}

void SentinelWatch::subscribe(size_t i) {
  if (subscribed_) return;
  Endpoint to = sentinels_[i]->endpoint();
  if (!subscriber_)
    subscriber_ = std::make_unique<Link>(ctx_, to, loop_, nullptr);
  else
    subscriber_->retarget(to, 0);
  Error err;
  subscribed_ = subscriber_->subscribe(
      "+switch-master", [this](const redisReply* r) { on_message(r); }, err);
}

void SentinelWatch::on_message(const redisReply* r) {
  if (closing_) return;
  if (r == nullptr) {  // that sentinel went away: another one, soon
    subscribed_ = false;
    arm_timer(kRetry);
    return;
  }
  // ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      text(r->element[0]) != "message")
    return;
  const std::string_view what = text(r->element[2]);
  const std::string& name = ctx_.opts.master_name;
  if (what.size() > name.size() && what.starts_with(name) && what[name.size()] == ' ')
    refresh();
}

void SentinelWatch::arm_timer(std::chrono::milliseconds after) {
  if (timer_ == nullptr) timer_ = loop_.make(nullptr, -1, &SentinelWatch::on_timer, this);
  if (timer_ != nullptr)
    loop_.set(timer_, 0, static_cast<uint64_t>(after.count()) * 1'000'000);
}

void SentinelWatch::on_timer(void* arg, uint32_t) {
  auto* self = static_cast<SentinelWatch*>(arg);
  self->loop_.set(self->timer_, 0, 0);  // once
  self->refresh();
}

}  // namespace fibd_redis
