#include "pipeline_command.h"

#include <event2/event.h>

#include <span>
#include <string_view>

namespace fibd_redis {

Command::~Command() {
  if (timer != nullptr) event_free(timer);
}

std::vector<std::unique_ptr<Command>> handshake_commands(const Options& opts,
                                                         uint64_t now_ns) {
  std::vector<std::unique_ptr<Command>> out;
  auto add = [&](Command::Kind kind, std::span<const std::string_view> args) {
    out.push_back(std::make_unique<Command>(kind, format_command(args), nullptr, now_ns));
  };
  if (!opts.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!opts.username.empty()) auth.push_back(opts.username);
    auth.push_back(opts.password);
    add(Command::Kind::Auth, auth);
  }
  if (opts.db != 0) {
    std::string db = std::to_string(opts.db);
    std::string_view select[] = {"SELECT", db};
    add(Command::Kind::Select, select);
  }
  return out;
}

Error handshake_refusal(const Options& opts, const Command& cmd,
                        const redisReply* reply) {
  auto text = reply_error_text(reply);
  if (reply == nullptr || text.empty()) return {};
  return cmd.kind == Command::Kind::Auth ? auth_refused(opts, text)
                                         : select_refused(opts, text);
}

Error unsolicited_reply_error(const Options& opts) {
  return {ErrorKind::Protocol, "connection to Redis at " + opts.address.to_string() +
                                   " reset: it sent a reply to no command"};
}

}  // namespace fibd_redis
