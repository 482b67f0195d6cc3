// The handler-facing side of a connection: Responder, Deferred, and the
// default answer to a refused request.
#include <iterator>

#include "http/connection.h"
#include "http/server.h"

namespace fibd::http {

void Responder::respond(const Response& response, std::uint8_t label) {
  if (answered_) return;
  answered_ = true;
  if (deferred_) connection_.end_deferred(/*cancelled=*/false);
  connection_.answer(response, label);
}

void Responder::respond(const OwnedResponse& owned, std::uint8_t label) {
  Header headers[8];
  std::size_t count = 0;
  for (const auto& [name, value] : owned.headers) {
    if (count < std::size(headers)) headers[count++] = {name, value};
  }
  Response r;
  r.status = owned.status;
  r.content_type = owned.content_type;
  r.headers = std::span<const Header>(headers, count);
  r.prefix = owned.prefix;
  if (owned.body) r.body = *owned.body;
  r.body_owner = owned.body;
  r.suffix = owned.suffix;
  respond(r, label);
}

Deferred Responder::defer(DeferOptions options) {
  if (answered_ || deferred_now_) return {};
  return connection_.defer(*this, std::move(options));
}

void Deferred::complete(std::function<void(Responder&)> fn) const {
  if (!state_) return;
  std::lock_guard lock(state_->link->mutex);
  if (state_->link->loop != nullptr)
    state_->link->loop->post_completion(state_, std::move(fn));
}

void Handler::refused(int status, std::string_view message, Responder& responder) {
  responder.respond(Response{status, "text/plain", {}, {}, message, "\n", nullptr});
}

}  // namespace fibd::http
