#include "http/connection_guard.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <string>

namespace fibd {

namespace {

// How long a rejected connection is drained before it is closed: enough for
// the client to finish sending and read the answer, short enough that a
// client streaming garbage does not keep it.
constexpr std::chrono::seconds kRejectLinger{2};

std::string http_date() {
  char buf[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string rejection(int status, const HeadLimits& limits) {
  const std::string body =
      status == 414
          ? "{\"error\":\"request line longer than " +
                std::to_string(limits.max_request_line) + " bytes\"}"
          : "{\"error\":\"request head (request line and headers) longer than " +
                std::to_string(limits.max_head) + " bytes\"}";
  return std::string("HTTP/1.1 ") +
         (status == 414 ? "414 URI Too Long" : "431 Request Header Fields Too Large") +
         "\r\nDate: " + http_date() +
         "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

ConnectionGuard::ConnectionGuard(event_base* base, const HeadLimits& limits,
                                 std::function<void(int)> on_reject)
    : limits_(limits), on_reject_(std::move(on_reject)) {
  sweep_timer_.reset(event_new(
      base, -1, EV_PERSIST,
      [](evutil_socket_t, short, void* self) {
        static_cast<ConnectionGuard*>(self)->sweep();
      },
      this));
  const timeval every_second{1, 0};
  event_add(sweep_timer_.get(), &every_second);
}

ConnectionGuard::~ConnectionGuard() {
  for (auto& [bev, conn] : conns_) forget(*conn);
}

void ConnectionGuard::forget(Conn& c) {
  if (c.input_cb != nullptr)
    evbuffer_remove_cb_entry(bufferevent_get_input(c.bev), c.input_cb);
  c.input_cb = nullptr;
  bufferevent_decref(c.bev);
}

void ConnectionGuard::track(bufferevent* bev) {
  bufferevent_incref(bev);
  auto conn = std::make_unique<Conn>();
  conn->guard = this;
  conn->bev = bev;
  conn->deadline = std::chrono::steady_clock::now() + limits_.timeout;
  conn->input_cb =
      evbuffer_add_cb(bufferevent_get_input(bev), &ConnectionGuard::on_input, conn.get());
  auto& slot = conns_[bev];
  if (slot) forget(*slot);  // cannot happen: evhttp told us it freed the old one
  slot = std::move(conn);
}

bool ConnectionGuard::request_started(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it == conns_.end()) return false;
  it->second->busy = true;
  const bool first = !it->second->seen;
  it->second->seen = true;
  return first;
}

void ConnectionGuard::response_sent(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  c.busy = false;
  c.deadline = std::chrono::steady_clock::now() + limits_.timeout;
  c.head_bytes = 0;
  c.line_bytes = 0;
  c.line_done = false;
  c.head_done = false;
  c.after_newline = false;
}

void ConnectionGuard::response_queued(bufferevent* bev) {
  auto it = conns_.find(bev);  // gone if the answer closed the connection
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.head_bytes == 0) inspect(c, bufferevent_get_input(bev), 0);
}

void ConnectionGuard::closing(bufferevent* bev) {
  auto it = conns_.find(bev);
  if (it == conns_.end()) return;
  forget(*it->second);
  conns_.erase(it);
}

void ConnectionGuard::shut_idle() {
  for (auto& [bev, conn] : conns_) {
    if (conn->busy || conn->shut) continue;
    const int fd = bufferevent_getfd(bev);
    if (fd < 0) continue;
    if (evbuffer_get_length(bufferevent_get_output(bev)) != 0) {
      ::shutdown(fd, SHUT_RD);  // evhttp reads EOF once the answer is out
    } else {
      conn->shut = true;
      ::shutdown(fd, SHUT_RDWR);
    }
  }
}

void ConnectionGuard::on_input(evbuffer* buffer, const evbuffer_cb_info* info,
                               void* arg) {
  if (info->n_added == 0) return;
  auto* c = static_cast<Conn*>(arg);
  // Bytes are appended: the new ones are the last n_added.
  const std::size_t length = evbuffer_get_length(buffer);
  c->guard->inspect(*c, buffer, length >= info->n_added ? length - info->n_added : 0);
}

void ConnectionGuard::inspect(Conn& c, evbuffer* input, std::size_t from) {
  if (c.rejected) {
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  if (c.busy || c.head_done) return;  // counted when the next head starts
  const std::size_t length = evbuffer_get_length(input);
  const auto over = [&] {
    return (c.line_done ? c.line_bytes : c.head_bytes) > limits_.max_request_line ||
           c.head_bytes > limits_.max_head;
  };
  std::size_t pos = from;
  while (pos < length && !c.head_done && !over()) {
    evbuffer_ptr at;
    if (evbuffer_ptr_set(input, &at, pos, EVBUFFER_PTR_SET) != 0) break;
    evbuffer_iovec vec[8];
    const int n = std::min(evbuffer_peek(input, -1, &at, vec, 8), 8);
    if (n <= 0) break;
    for (int i = 0; i < n && !c.head_done && !over(); ++i) {
      const char* data = static_cast<const char*>(vec[i].iov_base);
      for (std::size_t k = 0; k < vec[i].iov_len; ++k) {
        ++c.head_bytes;
        ++pos;
        const char ch = data[k];
        if (ch == '\n') {
          if (!c.line_done) {
            c.line_done = true;
            c.line_bytes = c.head_bytes;
          } else if (c.after_newline) {
            c.head_done = true;  // an empty line ends the head
            break;
          }
          c.after_newline = true;
        } else if (ch != '\r') {
          c.after_newline = false;
        }
        if (over()) break;
      }
    }
  }
  if ((c.line_done ? c.line_bytes : c.head_bytes) > limits_.max_request_line) {
    reject(c, 414);
  } else if (c.head_bytes > limits_.max_head) {
    reject(c, 431);
  }
}

void ConnectionGuard::reject(Conn& c, int status) {
  c.rejected = true;
  evbuffer* input = bufferevent_get_input(c.bev);
  evbuffer_drain(input, evbuffer_get_length(input));
  const int fd = bufferevent_getfd(c.bev);
  if (fd >= 0) {
    // evhttp has no request to answer (it never saw a whole head), so the
    // answer goes straight to the socket: it is small, and nothing else is
    // queued unless the client left an earlier (pipelined) answer unread.
    // Then the connection only stops reading: evhttp sends what it has,
    // reads EOF and closes.
    if (evbuffer_get_length(bufferevent_get_output(c.bev)) == 0) {
      const std::string response = rejection(status, limits_);
      (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::shutdown(fd, SHUT_WR);
      c.deadline = std::chrono::steady_clock::now() + kRejectLinger;
    } else {
      ::shutdown(fd, SHUT_RD);
      c.deadline = std::chrono::steady_clock::now() + limits_.timeout;
    }
  }
  SPDLOG_DEBUG("answered {} on fd {}: request {} longer than {} bytes", status, fd,
               status == 414 ? "line" : "head",
               status == 414 ? limits_.max_request_line : limits_.max_head);
  if (on_reject_) on_reject_(status);
}

void ConnectionGuard::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = conns_.begin(); it != conns_.end();) {
    Conn& conn = *it->second;
    bufferevent_event_cb event_cb = nullptr;
    bufferevent_getcb(conn.bev, nullptr, nullptr, &event_cb, nullptr);
    if (event_cb == nullptr) {
      // bufferevent_free() clears the callbacks: evhttp is done with it, and
      // our reference is the last one. Dropping it closes the fd.
      forget(conn);
      it = conns_.erase(it);
      continue;
    }
    if (!conn.busy && !conn.shut && now >= conn.deadline) {
      // evhttp reads EOF and frees the connection itself.
      conn.shut = true;
      SPDLOG_DEBUG("closing connection fd {}: {}", bufferevent_getfd(conn.bev),
                   conn.rejected ? "rejected head drained"
                                 : "no complete request within the head timeout");
      ::shutdown(bufferevent_getfd(conn.bev), SHUT_RDWR);
    }
    ++it;
  }
}

}  // namespace fibd
