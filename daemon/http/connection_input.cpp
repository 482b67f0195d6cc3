// A connection's input: the socket is read straight into the bufferevent's
// input buffer, one readv per readiness. A bufferevent reading for itself
// first asks the kernel how much is there (ioctl FIONREAD), a system call on
// every request of a keep-alive client; here the read is sized by the room
// left instead. The bufferevent still does the writing.
//
// Room: never more input than the longest head allowed plus the byte that
// shows it is too long, so a pipelined request waits in the kernel while
// the one before it is answered and the input is full. Closing: what comes
// is read and dropped (the linger after an answer that closes).
#include <event2/buffer.h>
#include <event2/event.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "http/connection.h"
#include "http/server.h"

namespace fibd::http {

namespace {

// The most one read takes: several request heads of a keep-alive client,
// and with libevent's chain header one 1 KiB allocation (a larger
// reservation makes the chain the next power of two: 16 KiB asked for was a
// 32 KiB allocation per request). Longer input comes in further reads.
constexpr std::size_t kReadChunk = 1024 - 64;

}  // namespace

void Connection::start_reading() {
  // A socket bufferevent keeps the end of its input frozen except while it
  // reads itself, which this one never does: the input is ours to fill.
  evbuffer_unfreeze(bufferevent_get_input(bev_), 0);
  event_assign(&read_event_, loop_.base(), fd_, EV_READ | EV_PERSIST,
               &Connection::on_readable, this);
  update_reading();
}

std::size_t Connection::input_room() const {
  if (state_ == State::Closing) return kReadChunk;
  const std::size_t limit = loop_.limits().max_header_bytes + 1;
  const std::size_t have = evbuffer_get_length(bufferevent_get_input(bev_));
  return have >= limit ? 0 : std::min(limit - have, kReadChunk);
}

void Connection::update_reading() {
  // After EOF nothing more comes, and a socket at EOF would be reported
  // readable on every turn of the loop.
  const bool want = !dead_ && !peer_closed_ && input_room() > 0;
  if (want == read_event_added_) return;
  if (want) {
    read_event_added_ = event_add(&read_event_, nullptr) == 0;
  } else {
    stop_reading();
  }
}

void Connection::stop_reading() {
  if (!read_event_added_) return;
  event_del(&read_event_);
  read_event_added_ = false;
}

void Connection::read_input() {
  const std::size_t room = input_room();
  if (dead_ || room == 0) {
    update_reading();
    return;
  }
  evbuffer* in = bufferevent_get_input(bev_);
  evbuffer_iovec space[2];
  const int vectors = evbuffer_reserve_space(in, static_cast<ev_ssize_t>(room), space, 2);
  if (vectors <= 0) {
    close_now();  // out of memory
    return;
  }
  iovec iov[2];
  std::size_t offered = 0;
  for (int i = 0; i < vectors; ++i) {
    const std::size_t length = std::min(space[i].iov_len, room - offered);
    iov[i] = {space[i].iov_base, length};
    offered += length;
  }
  const ssize_t got = ::readv(fd_, iov, vectors);
  if (got <= 0) {
    evbuffer_commit_space(in, space, 0);
    if (got == 0) {
      peer_eof();
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close_now();  // ECONNRESET and the like: the client is gone
    }
    return;
  }
  std::size_t left = static_cast<std::size_t>(got);
  int used = 0;
  for (; used < vectors && left > 0; ++used) {
    space[used].iov_len = std::min(iov[used].iov_len, left);
    left -= space[used].iov_len;
  }
  evbuffer_commit_space(in, space, used);
  if (state_ == State::Closing) {
    evbuffer_drain(in, evbuffer_get_length(in));
  } else if (state_ == State::Reading) {
    process();
    return;  // process() updates the reading
  }
  // Waiting: a pipelined request stays in the input until the answer is out.
  update_reading();
}

void Connection::peer_eof() {
  peer_closed_ = true;
  stop_reading();
  if (state_ == State::Waiting) {
    close_now();  // the client left: its request is cancelled
    return;
  }
  if (state_ == State::Reading) start_closing();
  after_output();
}

}  // namespace fibd::http
