// hiredis' event-library adapter for a Link: the hooks hiredis calls to
// ask for read and write events, served by the link's watch on its loop,
// and the socket's cleanup when hiredis frees the context.
#include <hiredis/async.h>

#include "link.h"

namespace fibd_redis {

bool Link::attach(redisAsyncContext* ac, std::string& why) {
  auto socket = std::make_unique<Socket>(Socket{this});
  socket->watch = watches_.make(loop_, ac->c.fd, &Link::on_watch, socket.get());
  if (socket->watch == nullptr) {
    why = "the event loop cannot watch its socket";
    return false;
  }
  socket_ = socket.release();  // hiredis' adapter data until cleanup()
  ac->ev.data = socket_;
  ac->ev.addRead = &Link::add_read;
  ac->ev.delRead = &Link::del_read;
  ac->ev.addWrite = &Link::add_write;
  ac->ev.delWrite = &Link::del_write;
  ac->ev.cleanup = &Link::cleanup;
  connecting_ = true;
  return true;
}

void Link::add_read(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_READ, true);
}

void Link::del_read(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_READ, false);
}

void Link::add_write(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  // Connecting, or the socket took only part of a write: wait until it is
  // writable. Otherwise write once, after the loop's other callbacks.
  if ((s->link->connecting_ && s == s->link->socket_) || s->flushing) {
    s->link->want(*s, FIBD_CACHE_WATCH_WRITE, true);
    return;
  }
  if (s->flush_pending || s->watch == nullptr) return;
  s->flush_pending = true;
  if (!s->link->watches_.activate(s->watch)) s->quiet = true;
}

void Link::del_write(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_WRITE, false);
}

void Link::cleanup(void* arg) {
  std::unique_ptr<Socket> s(static_cast<Socket*>(arg));  // attach() handed it over
  s->link->drop_watch(*s);
  if (s->link->socket_ == s.get()) s->link->socket_ = nullptr;
}

}  // namespace fibd_redis
