#include "connection_guard.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace fibd {

ConnectionGuard::ConnectionGuard(event_base* base, std::chrono::milliseconds head_timeout)
    : head_timeout_(head_timeout) {
  sweep_timer_.reset(event_new(
      base, -1, EV_PERSIST,
      [](evutil_socket_t, short, void* self) { static_cast<ConnectionGuard*>(self)->sweep(); },
      this));
  const timeval every_second{1, 0};
  event_add(sweep_timer_.get(), &every_second);
}

ConnectionGuard::~ConnectionGuard() {
  for (auto& [bev, conn] : conns_) release(bev);
}

void ConnectionGuard::release(bufferevent* bev) { bufferevent_decref(bev); }

void ConnectionGuard::track(bufferevent* bev) {
  bufferevent_incref(bev);
  conns_[bev] = Conn{std::chrono::steady_clock::now() + head_timeout_, false, false};
}

void ConnectionGuard::request_started(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it != conns_.end()) it->second.busy = true;
}

void ConnectionGuard::response_sent(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it == conns_.end()) return;
  it->second.busy = false;
  it->second.deadline = std::chrono::steady_clock::now() + head_timeout_;
}

void ConnectionGuard::closing(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it == conns_.end()) return;
  release(bev);
  conns_.erase(it);
}

void ConnectionGuard::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = conns_.begin(); it != conns_.end();) {
    bufferevent* bev = it->first;
    Conn& conn = it->second;
    bufferevent_event_cb event_cb = nullptr;
    bufferevent_getcb(bev, nullptr, nullptr, &event_cb, nullptr);
    if (event_cb == nullptr) {
      // bufferevent_free() clears the callbacks: evhttp is done with it, and
      // our reference is the last one. Dropping it closes the fd.
      release(bev);
      it = conns_.erase(it);
      continue;
    }
    if (!conn.busy && !conn.shut && now >= conn.deadline) {
      // evhttp reads EOF and frees the connection itself.
      conn.shut = true;
      SPDLOG_DEBUG("closing connection fd {}: no complete request within {} ms",
                   bufferevent_getfd(bev), head_timeout_.count());
      ::shutdown(bufferevent_getfd(bev), SHUT_RDWR);
    }
    ++it;
  }
}

}  // namespace fibd
