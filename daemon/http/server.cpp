#include "http/server.h"

#include <event2/buffer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "base/log.h"

namespace fibd::http {

namespace {

// After accept() fails for lack of descriptors or memory, new connections
// wait in the kernel's backlog this long before the next try (retrying at
// once would spin: the socket stays readable).
constexpr std::chrono::milliseconds kAcceptPause{100};

// Sent, best effort, to a connection past max_connections before closing it.
constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    "too many connections\n";

}  // namespace

ServerLoop::ServerLoop(Server& server, std::unique_ptr<Handler> handler)
    : server_(server), link_(std::make_shared<LoopLink>()), handler_(std::move(handler)) {
  link_->loop = this;
  scratch_.reserve(64 * 1024);
  sweep_timer_.reset(event_new(
      base(), -1, EV_PERSIST,
      [](evutil_socket_t, short, void* self) { static_cast<ServerLoop*>(self)->sweep(); },
      this));
  const timeval every_second{1, 0};
  event_add(sweep_timer_.get(), &every_second);
  accept_resume_.reset(evtimer_new(
      base(),
      [](evutil_socket_t, short, void* self) {
        auto* loop = static_cast<ServerLoop*>(self);
        if (loop->listener_) evconnlistener_enable(loop->listener_.get());
      },
      this));
}

ServerLoop::~ServerLoop() {
  {
    // From here on, answers from other threads are dropped (their requests
    // are cancelled below, with their connections).
    std::lock_guard lock(link_->mutex);
    link_->loop = nullptr;
  }
  loop_.stop();
  listener_.reset();
  connections_.clear();  // each cancels its open request, closes its fd
  for (int fd : inbox_) ::close(fd);
  // Handed over but never adopted: give back their slots.
  for (std::size_t i = 0; i < inbox_.size(); ++i) server_.release_slot();
  inbox_.clear();
}

const Limits& ServerLoop::limits() const { return server_.limits(); }

std::string_view ServerLoop::date() {
  timeval now{};
  event_base_gettimeofday_cached(base(), &now);
  return date_.at(now.tv_sec);
}

void ServerLoop::hand_over(int fd) {
  bool wake = false;
  {
    std::lock_guard lock(inbox_mutex_);
    wake = inbox_.empty();
    inbox_.push_back(fd);
  }
  if (wake) loop_.post([this] { take_inbox(); });
}

void ServerLoop::take_inbox() {
  std::vector<int> fds;
  {
    std::lock_guard lock(inbox_mutex_);
    fds.swap(inbox_);
  }
  for (int fd : fds) adopt(fd);
}

void ServerLoop::adopt(int fd) {
  // Also while draining: accepted before the listener went, it is answered
  // (with Connection: close) like any other.
  try {
    connections_.emplace_front(*this, fd);
  } catch (const std::bad_alloc&) {
    server_.release_slot();  // the constructor closed the fd
    return;
  }
  connections_.front().self = connections_.begin();
  count_.fetch_add(1, std::memory_order_relaxed);
}

void ServerLoop::remove(Connection& connection) {
  connections_.erase(connection.self);
  count_.fetch_sub(1, std::memory_order_relaxed);
  server_.release_slot();
}

void ServerLoop::post_completion(std::shared_ptr<DeferredState> state,
                                 std::function<void(Responder&)> fn) {
  loop_.post([state = std::move(state), fn = std::move(fn)] {
    if (state->connection != nullptr) state->connection->complete(state, fn);
  });
}

void ServerLoop::listen_on(int fd) {
  // backlog 0: the socket listens already; no CLOSE_ON_FREE: it is not ours.
  listener_.reset(evconnlistener_new(base(), &ServerLoop::on_accept, this,
                                     LEV_OPT_CLOSE_ON_EXEC, 0, fd));
  if (!listener_) throw std::runtime_error("evconnlistener_new failed");
  evconnlistener_set_error_cb(listener_.get(), &ServerLoop::on_accept_error);
}

void ServerLoop::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int,
                           void* self) {
  auto* loop = static_cast<ServerLoop*>(self);
  Server& server = loop->server_;
  if (!server.acquire_slot()) {
    (void)::send(fd, kTooManyConnections.data(), kTooManyConnections.size(),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
    loop->handler_->connection_refused();
    return;
  }
  ServerLoop& target = server.hands_over() ? server.next_loop() : *loop;
  if (&target == loop) {
    loop->adopt(fd);
  } else {
    target.hand_over(fd);
  }
}

void ServerLoop::on_accept_error(evconnlistener* listener, void* self) {
  auto* loop = static_cast<ServerLoop*>(self);
  const int err = EVUTIL_SOCKET_ERROR();
  // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays in the backlog and
  // the socket readable; pause instead of spinning. Open connections keep
  // being served and, as they close, free descriptors.
  evconnlistener_disable(listener);
  const timeval pause{0, static_cast<suseconds_t>(kAcceptPause.count() * 1000)};
  event_add(loop->accept_resume_.get(), &pause);
  const auto now = std::chrono::steady_clock::now();
  if (now - loop->accept_error_logged_ >= std::chrono::seconds(10)) {
    loop->accept_error_logged_ = now;
    spdlog::warn("accept() failed: {}; not accepting new connections for {} ms",
                 evutil_socket_error_to_string(err), kAcceptPause.count());
  }
}

void ServerLoop::stop_accepting() {
  if (draining_) return;
  draining_ = true;
  if (accept_resume_) event_del(accept_resume_.get());
  if (listener_) {
    listener_.reset();
    server_.listener_closed();
  }
  drain_idle_deadline_ = std::chrono::steady_clock::now() + kDrainIdle;
  drain_sweep_.reset(evtimer_new(
      base(),
      [](evutil_socket_t, short, void* self) { static_cast<ServerLoop*>(self)->sweep(); },
      this));
  const timeval after{static_cast<time_t>(kDrainIdle.count()), 0};
  if (drain_sweep_) event_add(drain_sweep_.get(), &after);
}

void ServerLoop::sweep() {
  const auto now = Connection::Clock::now();
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& c = *it++;  // sweep() may free c
    c.sweep(now);
  }
}

// --- Server -----------------------------------------------------------------

Server::Server(int listen_fd, unsigned loops, const Limits& limits,
               const HandlerFactory& factory, AcceptMode mode)
    : limits_(limits), listen_fd_(listen_fd), mode_(mode) {
  for (unsigned i = 0; i < std::max(1u, loops); ++i) {
    loops_.push_back(std::make_unique<ServerLoop>(*this, factory()));
  }
  if (mode_ == AcceptMode::Handover) {
    loops_.front()->listen_on(listen_fd_);
    listening_ = 1;
  } else {
    for (auto& loop : loops_) loop->listen_on(listen_fd_);
    listening_ = static_cast<unsigned>(loops_.size());
  }
}

Server::~Server() { stop(); }

void Server::start() {
  for (auto& loop : loops_) loop->loop().start();
}

ServerLoop& Server::next_loop() {
  ServerLoop& loop = *loops_[next_];
  next_ = (next_ + 1) % loops_.size();
  return loop;
}

bool Server::acquire_slot() {
  std::size_t open = open_.load(std::memory_order_relaxed);
  do {
    if (open >= limits_.max_connections) return false;
  } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return true;
}

void Server::stop_accepting() {
  for (auto& loop : loops_) {
    ServerLoop* l = loop.get();
    l->loop().post([l] { l->stop_accepting(); });
  }
}

std::size_t Server::pending() const {
  std::size_t total = 0;
  for (const auto& loop : loops_) total += loop->pending();
  return total;
}

std::vector<std::size_t> Server::connections_per_loop() const {
  std::vector<std::size_t> counts;
  for (const auto& loop : loops_) counts.push_back(loop->connections());
  return counts;
}

void Server::for_each_handler(const std::function<void(Handler&)>& fn) {
  for (auto& loop : loops_) {
    ServerLoop* l = loop.get();
    l->loop().post([l, fn] { fn(l->handler()); });
  }
}

void Server::stop() {
  // Stop every thread first: a loop being destroyed must not receive
  // hand-overs or completions from another.
  for (auto& loop : loops_) loop->loop().stop();
  loops_.clear();
}

}  // namespace fibd::http
