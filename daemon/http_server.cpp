#include "http_server.h"

#include <event2/bufferevent.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace fibd {

namespace {

// Every method reaches our handler, so unknown ones get our 405 with Allow.
constexpr ev_uint16_t kAllMethods = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH;

bufferevent* request_bev(evhttp_request* req) {
  evhttp_connection* conn = evhttp_request_get_connection(req);
  return conn ? evhttp_connection_get_bufferevent(conn) : nullptr;
}

}  // namespace

HttpLoop::HttpLoop(int listen_fd, const HttpLimits& limits) {
  http_.reset(evhttp_new(loop_.base()));
  if (!http_) throw std::runtime_error("evhttp_new failed");
  evhttp_set_allowed_methods(http_.get(), kAllMethods);
  evhttp_set_max_headers_size(http_.get(), static_cast<ev_ssize_t>(limits.max_header_bytes));
  evhttp_set_max_body_size(http_.get(), static_cast<ev_ssize_t>(limits.max_body_bytes));
  const timeval io{static_cast<time_t>(limits.io_timeout.count() / 1000),
                   static_cast<suseconds_t>(limits.io_timeout.count() % 1000 * 1000)};
  evhttp_set_timeout_tv(http_.get(), &io);
  evhttp_set_gencb(http_.get(), &HttpLoop::on_request, this);
  evhttp_set_bevcb(http_.get(), &HttpLoop::on_new_connection, this);
  guard_ = std::make_unique<ConnectionGuard>(loop_.base(), limits.head_timeout);

  // backlog 0: the socket is already listening; no CLOSE_ON_FREE: not ours.
  listener_.reset(evconnlistener_new(loop_.base(), nullptr, nullptr,
                                     LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd));
  if (!listener_) throw std::runtime_error("evconnlistener_new failed");
  bound_ = evhttp_bind_listener(http_.get(), listener_.get());
  if (bound_ == nullptr) throw std::runtime_error("evhttp_bind_listener failed");
  // evhttp now owns the listener (freed with the evhttp or the bound socket).
  (void)listener_.release();
}

HttpLoop::~HttpLoop() {
  loop_.stop();
  // Frees every connection (closecb -> handler forgets its requests), then
  // the handler, then the guard's references.
  http_.reset();
  handler_.reset();
  guard_.reset();
}

void HttpLoop::stop_accepting() {
  // Frees the listener; the fd itself is not ours and stays open.
  if (bound_ != nullptr) evhttp_del_accept_socket(http_.get(), bound_);
  bound_ = nullptr;
}

bufferevent* HttpLoop::on_new_connection(event_base* base, void* self) {
  // Options 0, as evhttp's default: evhttp closes the fd itself when it frees
  // the connection, so the guard's extra reference never keeps an fd open.
  bufferevent* bev = bufferevent_socket_new(base, -1, 0);
  if (bev != nullptr) static_cast<HttpLoop*>(self)->guard_->track(bev);
  return bev;
}

void HttpLoop::on_request(evhttp_request* req, void* self_ptr) {
  auto* self = static_cast<HttpLoop*>(self_ptr);
  evhttp_connection* conn = evhttp_request_get_connection(req);
  if (conn != nullptr) {
    evhttp_connection_set_closecb(conn, &HttpLoop::on_connection_close, self);
    self->guard_->request_started(evhttp_connection_get_bufferevent(conn));
  }
  self->handler_->handle(req);
}

void HttpLoop::on_connection_close(evhttp_connection* conn, void* self_ptr) {
  auto* self = static_cast<HttpLoop*>(self_ptr);
  if (self->handler_) self->handler_->connection_closing(conn);
  if (self->guard_) self->guard_->closing(evhttp_connection_get_bufferevent(conn));
}

void HttpLoop::reply(evhttp_request* req, int code, const char* reason, evbuffer* body) {
  bufferevent* bev = request_bev(req);
  evhttp_send_reply(req, code, reason, body);
  if (bev != nullptr) guard_->response_sent(bev);
}

HttpServer::HttpServer(int listen_fd, unsigned loops, const HttpLimits& limits,
                       const HandlerFactory& factory) {
  for (unsigned i = 0; i < std::max(1u, loops); ++i) {
    auto loop = std::make_unique<HttpLoop>(listen_fd, limits);
    loop->set_handler(factory(*loop));
    loops_.push_back(std::move(loop));
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  for (auto& loop : loops_) loop->start();
}

void HttpServer::for_each_loop(const std::function<void(HttpLoop&)>& fn) {
  for (auto& loop : loops_) {
    HttpLoop* l = loop.get();
    l->loop().post([l, fn] { fn(*l); });
  }
}

void HttpServer::stop_accepting() {
  for_each_loop([](HttpLoop& l) { l.stop_accepting(); });
}

std::size_t HttpServer::pending() {
  std::size_t total = 0;
  for (auto& loop : loops_) total += loop->handler().pending();
  return total;
}

void HttpServer::stop() { loops_.clear(); }

}  // namespace fibd
