#include "command.h"

#include <hiredis/hiredis.h>

#include <array>
#include <new>

namespace fibd_redis {

Reply Reply::copy(const redisReply& r) {
  Reply out;
  out.type = r.type;
  if (r.str != nullptr) out.str.assign(r.str, r.len);
  out.integer = r.integer;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.element.reserve(r.elements);
    for (size_t i = 0; i < r.elements; ++i)
      if (r.element[i] != nullptr) out.element.push_back(copy(*r.element[i]));
  }
  return out;
}

std::string_view Reply::error_text() const {
  return type == REDIS_REPLY_ERROR ? std::string_view(str) : std::string_view();
}

void SyncResult::finish(const redisReply* reply, const Error& err) {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    if (reply != nullptr)
      reply_ = Reply::copy(*reply);
    else
      error_ = err;
    done_ = true;
    cv_.notify_all();
  }
  if (then_) then_(*this);
}

bool SyncResult::wait_until(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return done_; });
}

bool SyncResult::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

std::vector<std::unique_ptr<Command>> handshake_commands(const Endpoint& to) {
  std::vector<std::unique_ptr<Command>> out;
  auto add = [&](Command::Kind kind, std::span<const std::string_view> args) {
    out.push_back(std::make_unique<Command>(kind, format_command(args), nullptr));
  };
  if (!to.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!to.username.empty()) auth.push_back(to.username);
    auth.push_back(to.password);
    add(Command::Kind::Auth, auth);
  }
  if (to.db != 0) {
    std::string db = std::to_string(to.db);
    std::string_view select[] = {"SELECT", db};
    add(Command::Kind::Select, select);
  }
  if (to.master_only) {
    std::string_view role[] = {"ROLE"};
    add(Command::Kind::Role, role);
  }
  return out;
}

Error handshake_refusal(const Endpoint& to, const Command& cmd, const redisReply* reply) {
  const std::string where = to.address.to_string();
  if (cmd.kind == Command::Kind::Role) {
    // ROLE: an array whose first element is "master", "slave" or "sentinel".
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        std::string_view(reply->element[0]->str, reply->element[0]->len) == "master")
      return {};
    if (reply == nullptr) return {};  // the connection is going anyway
    return {ErrorKind::NotMaster,
            "Redis at " + where + " is not a master (ROLE): nothing is written to it"};
  }
  auto text = reply_error_text(reply);
  if (reply == nullptr || text.empty()) return {};
  return cmd.kind == Command::Kind::Auth ? auth_refused(to.username, where, text)
                                         : select_refused(to.db, where, text);
}

std::string_view reply_error_text(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return {};
  return std::string_view(r->str, r->len);
}

bool unavailable_reply(std::string_view text) {
  for (std::string_view p :
       {"NOAUTH", "WRONGPASS", "NOPERM", "LOADING", "BUSY", "MASTERDOWN"})
    if (text.substr(0, p.size()) == p) return true;
  return false;
}

std::string format_command(std::span<const std::string_view> args) {
  // hiredis' sds formatter: its own number formatting, no printf per
  // argument (redisFormatCommandArgv's), which a cache hit would pay for.
  constexpr size_t kInline = 8;
  std::array<const char*, kInline> argv_inline{};
  std::array<size_t, kInline> lens_inline{};
  std::vector<const char*> argv_heap;
  std::vector<size_t> lens_heap;
  const char** argv = argv_inline.data();
  size_t* lens = lens_inline.data();
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data() != nullptr ? args[i].data() : "";
    lens[i] = args[i].size();
  }
  sds cmd = nullptr;
  const auto len =
      redisFormatSdsCommandArgv(&cmd, static_cast<int>(args.size()), argv, lens);
  if (len < 0 || cmd == nullptr) throw std::bad_alloc();
  std::string out(cmd, static_cast<size_t>(len));
  redisFreeSdsCommand(cmd);
  return out;
}

Error auth_refused(const std::string& username, const std::string& where,
                   std::string_view reply) {
  std::string who = username.empty() ? std::string("with the configured password")
                                     : "as user '" + username + "'";
  return {ErrorKind::Auth, "Redis at " + where + " refused authentication " + who + ": " +
                               std::string(reply)};
}

Error select_refused(int db_number, const std::string& where, std::string_view reply) {
  const std::string db = std::to_string(db_number);
  if (reply.substr(0, 6) == "NOAUTH")
    return {ErrorKind::Auth, "Redis at " + where +
                                 " requires authentication (set option 'password'): " +
                                 std::string(reply)};
  return {ErrorKind::Select,
          "SELECT " + db + " failed (option 'db'): " + std::string(reply)};
}

}  // namespace fibd_redis
