#include "http/http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace fibd {

namespace {

// Every method reaches our handler, so unknown ones get our 405 with Allow.
constexpr ev_uint16_t kAllMethods = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH;

// A response goes out in one writev when the socket takes it (bufferevent's
// default cap is 16 KiB per write, which splits big numbers into several
// trips through epoll).
constexpr ev_ssize_t kMaxSingleWrite = 4 << 20;

bufferevent* request_bev(evhttp_request* req) {
  evhttp_connection* conn = evhttp_request_get_connection(req);
  return conn ? evhttp_connection_get_bufferevent(conn) : nullptr;
}

// evhttp registers itself as its listeners' argument, so the accept error
// callback receives the evhttp; this finds the loop that owns it.
std::mutex loops_mutex;
std::unordered_map<const evhttp*, HttpLoop*>& loops_by_http() {
  static std::unordered_map<const evhttp*, HttpLoop*> loops;
  return loops;
}

}  // namespace

HttpLoop::HttpLoop(int listen_fd, const HttpLimits& limits) {
  http_.reset(evhttp_new(loop_.base()));
  if (!http_) throw std::runtime_error("evhttp_new failed");
  evhttp_set_allowed_methods(http_.get(), kAllMethods);
  // The guard answers oversized heads (414/431) before evhttp parses them;
  // evhttp's own limit (a 400/413 of its own) is only a backstop.
  evhttp_set_max_headers_size(http_.get(),
                              static_cast<ev_ssize_t>(2 * limits.max_header_bytes));
  evhttp_set_max_body_size(http_.get(), static_cast<ev_ssize_t>(limits.max_body_bytes));
  const timeval io{static_cast<time_t>(limits.io_timeout.count() / 1000),
                   static_cast<suseconds_t>(limits.io_timeout.count() % 1000 * 1000)};
  evhttp_set_timeout_tv(http_.get(), &io);
  evhttp_set_gencb(http_.get(), &HttpLoop::on_request, this);
  evhttp_set_bevcb(http_.get(), &HttpLoop::on_new_connection, this);
  guard_ = std::make_unique<ConnectionGuard>(
      loop_.base(),
      HeadLimits{limits.head_timeout, limits.max_request_line, limits.max_header_bytes},
      [this](int status) {
        if (handler_) handler_->rejected(status);
      });
  accept_pause_ = limits.accept_pause;

  // backlog 0: the socket is already listening; no CLOSE_ON_FREE: not ours.
  listener_.reset(evconnlistener_new(loop_.base(), nullptr, nullptr,
                                     LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd));
  if (!listener_) throw std::runtime_error("evconnlistener_new failed");
  bound_ = evhttp_bind_listener(http_.get(), listener_.get());
  if (bound_ == nullptr) throw std::runtime_error("evhttp_bind_listener failed");
  // evhttp now owns the listener (freed with the evhttp or the bound socket).
  (void)listener_.release();
  evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound_),
                              &HttpLoop::on_accept_error);
  accept_resume_.reset(evtimer_new(
      loop_.base(),
      [](evutil_socket_t, short, void* self_ptr) {
        auto* self = static_cast<HttpLoop*>(self_ptr);
        if (self->bound_ != nullptr) {
          evconnlistener_enable(evhttp_bound_socket_get_listener(self->bound_));
        }
      },
      this));
  std::lock_guard lock(loops_mutex);
  loops_by_http()[http_.get()] = this;
}

void HttpLoop::on_accept_error(evconnlistener* listener, void* http) {
  const int err = EVUTIL_SOCKET_ERROR();
  HttpLoop* self = nullptr;
  {
    std::lock_guard lock(loops_mutex);
    auto it = loops_by_http().find(static_cast<const evhttp*>(http));
    if (it != loops_by_http().end()) self = it->second;
  }
  if (self == nullptr) return;
  // EMFILE/ENFILE (no file descriptor for the new connection), ENOBUFS,
  // ENOMEM: the connection stays in the backlog and the listening socket
  // stays readable, so libevent would call accept() again at once, forever
  // (a busy loop). Pause accepting instead and retry shortly; connections
  // already open keep being served and, as they close, free descriptors.
  evconnlistener_disable(listener);
  const auto ms = self->accept_pause_.count();
  const timeval pause{static_cast<time_t>(ms / 1000),
                      static_cast<suseconds_t>(ms % 1000 * 1000)};
  event_add(self->accept_resume_.get(), &pause);
  const auto now = std::chrono::steady_clock::now();
  if (now - self->accept_error_logged_ < std::chrono::seconds(10)) {
    ++self->accept_errors_unlogged_;
    return;
  }
  spdlog::warn("accept() failed: {}; not accepting new connections for {} ms{}",
               evutil_socket_error_to_string(err), ms,
               self->accept_errors_unlogged_ == 0
                   ? std::string()
                   : " (" + std::to_string(self->accept_errors_unlogged_) +
                         " more failures since the last message)");
  self->accept_error_logged_ = now;
  self->accept_errors_unlogged_ = 0;
}

HttpLoop::~HttpLoop() {
  loop_.stop();
  {
    std::lock_guard lock(loops_mutex);
    loops_by_http().erase(http_.get());
  }
  accept_resume_.reset();
  // Frees every connection (closecb -> handler forgets its requests), then
  // the handler, then the guard's references.
  http_.reset();
  handler_.reset();
  guard_.reset();
}

void HttpLoop::stop_accepting() {
  // Frees the listener; the fd itself is not ours and stays open.
  if (accept_resume_) event_del(accept_resume_.get());
  if (bound_ != nullptr) evhttp_del_accept_socket(http_.get(), bound_);
  bound_ = nullptr;
  draining_ = true;
  guard_->shut_idle();
}

bufferevent* HttpLoop::on_new_connection(event_base* base, void* self) {
  // BEV_OPT_CLOSE_ON_FREE: the fd is closed when the bufferevent is
  // destroyed, not when evhttp frees the connection. The guard holds a
  // reference; a connection that ends without a request (no closecb: silent,
  // garbage, refused head) keeps it until the next sweep. Had evhttp closed
  // the fd meanwhile (options 0), the kernel could hand its number to a new
  // connection while this bufferevent's read event was still registered for
  // it, and libevent, seeing the fd already watched, would never poll the
  // new connection: it hung until the head timeout.
  bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  if (bev != nullptr) {
    bufferevent_set_max_single_write(bev, kMaxSingleWrite);
    static_cast<HttpLoop*>(self)->guard_->track(bev);
  }
  return bev;
}

void HttpLoop::on_request(evhttp_request* req, void* self_ptr) {
  auto* self = static_cast<HttpLoop*>(self_ptr);
  evhttp_connection* conn = evhttp_request_get_connection(req);
  if (conn != nullptr) {
    evhttp_connection_set_closecb(conn, &HttpLoop::on_connection_close, self);
    bufferevent* bev = evhttp_connection_get_bufferevent(conn);
    if (self->guard_->request_started(bev)) {
      // First request of this connection. Responses are written whole, so
      // Nagle would only hold back the tail of a large one until the
      // client's delayed ACK (40 ms).
      const int one = 1;
      ::setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
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
  if (draining_) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    if (evhttp_find_header(headers, "Connection") == nullptr) {
      evhttp_add_header(headers, "Connection", "close");
    }
  }
  if (bev != nullptr) guard_->response_sent(bev);
  evhttp_send_reply(req, code, reason, body);
  if (bev != nullptr) {
    write_now(bev);
    // Now that the answer is out (or queued), a pipelined head already in
    // the input may be checked, and refused, after it.
    guard_->response_queued(bev);
  }
}

// evhttp queues the response and writes it on the next EPOLLOUT: one more
// trip through epoll_wait and two epoll_ctl calls (write interest on, then
// off) per request. Instead the response is written right away; when the
// socket took all of it, evhttp is told at once (its write callback is what
// a drained output buffer would have triggered), so it finishes the request
// and re-arms reading in this same loop iteration. Whatever the socket
// does not take (a full send buffer, an error) is left to the bufferevent,
// which goes on exactly as before.
void HttpLoop::write_now(bufferevent* bev) {
  const int fd = bufferevent_getfd(bev);
  if (fd < 0) return;
  evbuffer* out = bufferevent_get_output(bev);
  while (evbuffer_get_length(out) > 0) {
    if (evbuffer_write_atmost(out, fd, kMaxSingleWrite) <= 0) return;
  }
  // May finish the request and even free the connection (Connection:
  // close); bufferevent_trigger holds a reference on bev meanwhile.
  bufferevent_trigger(bev, EV_WRITE, 0);
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
