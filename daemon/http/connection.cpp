#include "http/connection.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include "http/response_writer.h"
#include "http/server.h"

namespace fibd::http {

namespace {

// After an answer that closes the connection, the write side is shut and
// what the client still sends is read and dropped this long, so the answer
// is not lost to a reset.
constexpr std::chrono::seconds kLinger{2};
// With this much unsent output, no further pipelined request is taken until
// the client reads (bounds the memory one connection can pin).
constexpr std::size_t kMaxQueuedOutput = 256 * 1024;
// Bodies up to this size are copied next to the head; larger ones are
// written from where they are, and what the socket does not take at once is
// referenced (a shared body) or copied.
constexpr std::size_t kCopyLimit = 16 * 1024;

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

}  // namespace

// Marks a callback of the connection as running; the outermost one frees a
// connection that was closed meanwhile, as its very last step.
struct Connection::Entry {
  Connection& c;
  explicit Entry(Connection& connection) : c(connection) { ++c.depth_; }
  ~Entry() {
    if (--c.depth_ == 0 && c.dead_) c.loop_.remove(c);
  }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;
};

Connection::Connection(ServerLoop& loop, int fd)
    : loop_(loop), fd_(fd), parser_(loop.limits()) {
  // Answers are written whole; Nagle would only delay the tail of one.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bev_ = bufferevent_socket_new(loop.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev_ == nullptr) {
    ::close(fd);
    throw std::bad_alloc();
  }
  // The bufferevent writes; reading is this connection's own (its read
  // side is never enabled).
  bufferevent_setcb(bev_, nullptr, &Connection::on_write, &Connection::on_event, this);
  start_reading();
  event_assign(&deferred_timer_, loop.base(), -1, 0, &Connection::on_deferred_timeout,
               this);
  set_idle_deadline();
}

Connection::~Connection() {
  end_deferred(/*cancelled=*/true);
  stop_reading();
  bufferevent_free(bev_);  // closes the fd
}

void Connection::set_idle_deadline() {
  const auto& limits = loop_.limits();
  deadline_ = Clock::now() + (served_one_ ? limits.idle_timeout : limits.head_timeout);
}

void Connection::on_readable(evutil_socket_t, short, void* self) {
  auto& c = *static_cast<Connection*>(self);
  Entry entry(c);
  c.read_input();
}

void Connection::on_write(bufferevent*, void* self) {
  auto& c = *static_cast<Connection*>(self);
  Entry entry(c);
  c.report_sent();
  c.after_output();
  if (c.state_ == State::Reading && !c.dead_) c.process();
}

void Connection::on_event(bufferevent*, short what, void* self) {
  auto& c = *static_cast<Connection*>(self);
  Entry entry(c);
  if ((what & BEV_EVENT_ERROR) != 0) {
    c.close_now();
    return;
  }
  if ((what & BEV_EVENT_EOF) != 0) c.peer_eof();
}

void Connection::process() {
  evbuffer* in = bufferevent_get_input(bev_);
  evbuffer* out = bufferevent_get_output(bev_);
  while (state_ == State::Reading && !dead_) {
    if (evbuffer_get_length(out) > kMaxQueuedOutput) break;  // on_write resumes
    const std::size_t length = evbuffer_get_length(in);
    if (length == 0) break;
    if (!head_started_) {
      head_started_ = true;
      if (served_one_) deadline_ = Clock::now() + loop_.limits().head_timeout;
    }
    // Bounded by the read watermark; contiguous already unless a head
    // straddles two reads.
    const auto* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
    Request request;
    const ParseResult r = parser_.parse({data, length}, request);
    if (r.status == ParseResult::Status::Incomplete) break;
    if (r.error()) {
      refuse(r.error_status, r.message);
      break;
    }
    parser_.reset();
    head_started_ = false;
    dispatch(request, r.length);
  }
  flush();
  after_output();
  update_reading();
}

void Connection::dispatch(const Request& request, std::size_t head_length) {
  keep_alive_ = request.keep_alive;
  is_head_ = request.method == Method::Head;
  http10_ = request.version_minor == 0;
  deadline_ = Clock::time_point::max();
  head_done_ = Clock::now();
  timed_ = true;
  Responder responder(*this, nullptr);
  loop_.handler().handle(request, responder);
  // The request's views point into the input: dropped only now.
  evbuffer_drain(bufferevent_get_input(bev_), head_length);
  if (responder.answered_ || dead_) return;
  if (responder.deferred_now_) {
    state_ = State::Waiting;
    return;
  }
  static constexpr Header kNone[] = {{"X-Fibd-Error", "handler-gave-no-answer"}};
  answer(Response{500, "text/plain", kNone, {}, "no answer\n", {}, nullptr});
}

void Connection::refuse(int status, std::string_view message) {
  keep_alive_ = false;
  is_head_ = false;
  http10_ = false;
  timed_ = false;
  Responder responder(*this, nullptr);
  loop_.handler().refused(status, message, responder);
  if (!responder.answered_) {
    answer(Response{status, "text/plain", {}, {}, message, "\n", nullptr});
  }
}

void Connection::answer(const Response& response, std::uint8_t label) {
  if (dead_ || state_ == State::Closing) return;
  std::string& out = loop_.scratch();
  const bool keep_alive = keep_alive_ && !loop_.draining();
  append_head(out, response, HeadOptions{loop_.date(), keep_alive, http10_});
  if (!is_head_) {
    if (response.body.size() > kCopyLimit) {
      out.append(response.prefix);
      iovec iov[3] = {
          {out.data(), out.size()},
          {const_cast<char*>(response.body.data()), response.body.size()},
          {const_cast<char*>(response.suffix.data()), response.suffix.size()}};
      write_iov(iov, 3, response.body_owner);
      out.clear();
    } else {
      out.append(response.prefix).append(response.body).append(response.suffix);
    }
  }
  keep_alive_ = keep_alive;
  if (timed_) {
    timed_ = false;
    unsent_.push_back(Unsent{head_done_, queued_bytes_ + out.size(), label});
  }
  finish_answer();
}

void Connection::report_sent() {
  if (unsent_head_ == unsent_.size() || dead_) return;
  // What write_iov passed on and the output buffer no longer holds is the
  // kernel's. The scratch buffer is flushed before any of this runs.
  const std::uint64_t handed =
      queued_bytes_ - evbuffer_get_length(bufferevent_get_output(bev_));
  const Clock::time_point now = Clock::now();
  while (unsent_head_ < unsent_.size() && unsent_[unsent_head_].end <= handed) {
    const Unsent& u = unsent_[unsent_head_++];
    loop_.handler().sent(u.label, now - u.head_done);
  }
  if (unsent_head_ == unsent_.size()) {
    unsent_.clear();
    unsent_head_ = 0;
  }
}

void Connection::finish_answer() {
  served_one_ = true;
  if (!keep_alive_) {
    start_closing();
  } else {
    state_ = State::Reading;
    set_idle_deadline();
  }
}

void Connection::flush() {
  std::string& out = loop_.scratch();
  if (!out.empty()) {
    iovec iov{out.data(), out.size()};
    write_iov(&iov, 1, nullptr);
    out.clear();
  }
  report_sent();
}

// Writes straight to the socket when nothing is queued (one syscall, no
// copy); what the socket does not take goes to the bufferevent, which sends
// it when the socket is writable.
void Connection::write_iov(iovec* iov, int count,
                           const std::shared_ptr<const std::string>& keep) {
  if (dead_) return;
  evbuffer* output = bufferevent_get_output(bev_);
  for (int i = 0; i < count; ++i) queued_bytes_ += iov[i].iov_len;
  std::size_t written = 0;
  if (evbuffer_get_length(output) == 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close_now();  // the peer is gone (EPIPE, ECONNRESET)
      return;
    }
    written = n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  for (int i = 0; i < count; ++i) {
    const char* base = static_cast<const char*>(iov[i].iov_base);
    std::size_t length = iov[i].iov_len;
    if (written >= length) {
      written -= length;
      continue;
    }
    base += written;
    length -= written;
    written = 0;
    if (keep != nullptr && base >= keep->data() && base < keep->data() + keep->size()) {
      using Keep = std::shared_ptr<const std::string>;
      auto holder = std::make_unique<Keep>(keep);
      const auto release = [](const void*, size_t, void* arg) {
        std::unique_ptr<Keep>(static_cast<Keep*>(arg));  // drops the reference
      };
      if (evbuffer_add_reference(output, base, length, release, holder.get()) == 0) {
        (void)holder.release();  // the evbuffer's until the bytes are sent
        continue;
      }
    }
    evbuffer_add(output, base, length);
  }
}

void Connection::start_closing() {
  state_ = State::Closing;
  evbuffer* in = bufferevent_get_input(bev_);
  evbuffer_drain(in, evbuffer_get_length(in));
  update_reading();
}

void Connection::after_output() {
  if (dead_ || state_ != State::Closing) return;
  if (!loop_.scratch().empty()) flush();
  if (evbuffer_get_length(bufferevent_get_output(bev_)) != 0)
    return;  // on_write comes back
  if (peer_closed_) {
    close_now();
    return;
  }
  if (!shut_write_) {
    shut_write_ = true;
    ::shutdown(fd_, SHUT_WR);
    deadline_ = Clock::now() + kLinger;
  }
}

void Connection::close_now() {
  if (dead_) return;
  dead_ = true;
  stop_reading();
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  if (depth_ == 0) loop_.remove(*this);
}

void Connection::sweep(Clock::time_point now) {
  Entry entry(*this);
  if (state_ == State::Waiting) return;
  if (now >= deadline_ ||
      (loop_.draining() && now >= loop_.drain_idle_deadline() && idle())) {
    close_now();
  }
}

bool Connection::idle() const {
  if (state_ != State::Reading || head_started_ ||
      evbuffer_get_length(bufferevent_get_input(bev_)) != 0 ||
      evbuffer_get_length(bufferevent_get_output(bev_)) != 0)
    return false;
  int unread = 0;
  return ::ioctl(fd_, FIONREAD, &unread) == 0 && unread == 0;
}

Deferred Connection::defer(Responder& responder, DeferOptions options) {
  // Deferring again from a completion (a cache lookup that missed, now a
  // computation) continues the wait: the earlier handle goes quiet.
  if (deferred_) end_deferred(/*cancelled=*/false);
  auto state = std::make_shared<DeferredState>();
  state->link = loop_.link();
  state->connection = this;
  state->options = std::move(options);
  deferred_ = state;
  responder.deferred_ = state;
  responder.deferred_now_ = true;
  loop_.deferred_opened();
  if (state->options.timeout.count() > 0) {
    const timeval tv = to_timeval(state->options.timeout);
    event_add(&deferred_timer_, &tv);
    deferred_timer_set_ = true;
  }
  return Deferred(state);
}

void Connection::end_deferred(bool cancelled) {
  std::shared_ptr<DeferredState> state = std::move(deferred_);
  deferred_.reset();
  if (!state) return;
  state->connection = nullptr;
  loop_.deferred_closed();
  if (deferred_timer_set_) {
    event_del(&deferred_timer_);
    deferred_timer_set_ = false;
  }
  if (cancelled && state->options.on_cancel) state->options.on_cancel();
}

void Connection::complete(const std::shared_ptr<DeferredState>& state,
                          const std::function<void(Responder&)>& fn) {
  Entry entry(*this);
  if (deferred_ != state || dead_) return;
  Responder responder(*this, state);
  fn(responder);
  if (!responder.answered_ && deferred_ == state) {
    end_deferred(/*cancelled=*/false);
    answer(Response{500, "text/plain", {}, {}, "no answer\n", {}, nullptr});
  }
  flush();
  after_output();
  if (state_ == State::Reading && !dead_) process();
}

void Connection::on_deferred_timeout(evutil_socket_t, short, void* self) {
  auto& c = *static_cast<Connection*>(self);
  Entry entry(c);
  c.deferred_timer_set_ = false;
  std::shared_ptr<DeferredState> state = c.deferred_;
  if (!state) return;
  Responder responder(c, state);
  if (state->options.on_timeout) state->options.on_timeout(responder);
  if (!responder.answered_ && !responder.deferred_now_) {
    c.end_deferred(/*cancelled=*/false);
    static constexpr Header kRetry[] = {{"Retry-After", "1"}};
    c.answer(Response{503, "text/plain", kRetry, {}, "timed out\n", {}, nullptr});
  }
  c.flush();
  c.after_output();
  if (c.state_ == State::Reading && !c.dead_) c.process();
}

}  // namespace fibd::http
