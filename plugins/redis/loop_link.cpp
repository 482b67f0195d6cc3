#include "loop_link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <string>

namespace fibd_redis {

namespace {

uint64_t to_ns(std::chrono::microseconds d) {
  return static_cast<uint64_t>(d.count()) * 1000;
}

bool has_watches(const fibd_cache_host* h) {
  return h != nullptr &&
         FIBD_CACHE_HAS_FIELD(fibd_cache_host, h->struct_size, watch_free) &&
         h->watch_new != nullptr && h->watch_set != nullptr &&
         h->watch_activate != nullptr && h->watch_free != nullptr;
}

}  // namespace

HostWatches::HostWatches(const fibd_cache_host* host)
    : host_(has_watches(host) ? host : nullptr) {}

fibd_cache_watch* HostWatches::make(fibd_cache_loop* loop, int fd, fibd_cache_watch_fn fn,
                                    void* arg) const {
  return host_->watch_new(host_->ctx, loop, fd, fn, arg);
}

bool HostWatches::set(fibd_cache_watch* w, uint32_t events, uint64_t timeout_ns) const {
  return host_->watch_set(host_->ctx, w, events, timeout_ns) == 0;
}

bool HostWatches::activate(fibd_cache_watch* w) const {
  return host_->watch_activate(host_->ctx, w) == 0;
}

void HostWatches::free(fibd_cache_watch* w) const { host_->watch_free(host_->ctx, w); }

LoopLink::LoopLink(const Options& opts, const HostWatches& watches, fibd_cache_loop* loop,
                   const HostClock& clock, PipelineHandler& handler,
                   PipelineCounters& counters)
    : AsyncLink(opts, clock, handler, counters), watches_(watches), loop_(loop) {}

LoopLink::~LoopLink() {
  // A callback that started before waits no more: the loop may still be in
  // the hiredis callbacks that completed the last call. Later ones return at
  // once, and once the watch is gone none runs, so this thread owns the
  // context (watch_free waits for a callback in progress).
  closing_.store(true, std::memory_order_release);
  { std::lock_guard running(callback_mu_); }
  if (socket_ != nullptr) drop_watch(*socket_);
  reset({ErrorKind::Closed, "the redis plugin instance is being destroyed"});
}

bool LoopLink::attach(redisAsyncContext* ac, std::string& why) {
  auto socket = std::make_unique<Socket>(Socket{this});
  socket->watch = watches_.make(loop_, ac->c.fd, &LoopLink::on_event, socket.get());
  if (socket->watch == nullptr) {
    why = "the host's event loop cannot watch its socket";
    return false;
  }
  socket_ = socket.release();  // hiredis' adapter data until cleanup()
  ac->ev.data = socket_;
  ac->ev.addRead = &LoopLink::add_read;
  ac->ev.delRead = &LoopLink::del_read;
  ac->ev.addWrite = &LoopLink::add_write;
  ac->ev.delWrite = &LoopLink::del_write;
  ac->ev.cleanup = &LoopLink::cleanup;
  connecting_ = true;
  return true;
}

void LoopLink::connect_started() {
  if (socket_ != nullptr) apply(*socket_);  // connect_timeout
}

void LoopLink::connect_ended(bool) {
  connecting_ = false;
  if (socket_ != nullptr) apply(*socket_);  // command_timeout from now on
}

void LoopLink::closing() { connecting_ = false; }

void LoopLink::written(Command&) {
  // The first command after a quiet spell starts the wait for Redis.
  if (in_flight() == 1) waiting_since_ns_ = clock_.now_ns();
  if (socket_ != nullptr && socket_->quiet) {
    // The loop this connection was made on has stopped, and a new one with
    // the same handle makes calls: nothing would ever drive this connection.
    // Failing what is on it lets the next call connect on the new loop.
    reset({ErrorKind::Io, "the connection to Redis at " + opts_.address.to_string() +
                              " belonged to an event loop that has stopped"});
  }
}

void LoopLink::apply(Socket& s) {
  if (s.watch == nullptr) return;
  const uint64_t timeout =
      to_ns(connecting_ && &s == socket_ ? opts_.connect_timeout : opts_.command_timeout);
  if (!watches_.set(s.watch, s.want, timeout)) s.quiet = true;
}

void LoopLink::want(Socket& s, uint32_t event, bool on) {
  const uint32_t next = on ? (s.want | event) : (s.want & ~event);
  if (next == s.want) return;
  s.want = next;
  apply(s);
}

void LoopLink::drop_watch(Socket& s) {
  if (s.watch == nullptr) return;
  watches_.free(s.watch);
  s.watch = nullptr;
}

void LoopLink::add_read(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_READ, true);
}

void LoopLink::del_read(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_READ, false);
}

void LoopLink::add_write(void* arg) {
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

void LoopLink::del_write(void* arg) {
  auto* s = static_cast<Socket*>(arg);
  s->link->want(*s, FIBD_CACHE_WATCH_WRITE, false);
}

void LoopLink::cleanup(void* arg) {
  std::unique_ptr<Socket> s(static_cast<Socket*>(arg));  // attach() handed it over
  s->link->drop_watch(*s);
  if (s->link->socket_ == s.get()) s->link->socket_ = nullptr;
}

bool LoopLink::stalled() const {
  return in_flight() > 0 &&
         clock_.now_ns() - waiting_since_ns_ >= to_ns(opts_.command_timeout);
}

void LoopLink::on_event(void* arg, uint32_t events) {
  auto* s = static_cast<Socket*>(arg);
  LoopLink* self = s->link;
  if (self->closing_.load(std::memory_order_acquire)) return;
  std::lock_guard running(self->callback_mu_);
  redisAsyncContext* ac = self->ac_;
  if (ac == nullptr || s != self->socket_) return;  // a context going away
  if (self->connecting_) {
    if (events & FIBD_CACHE_WATCH_TIMEOUT) {
      self->connect_failed(
          {ErrorKind::Connect, "cannot connect to Redis at " +
                                   self->opts_.address.to_string() +
                                   ": timed out (connect_timeout " +
                                   format_duration(self->opts_.connect_timeout) + ")"});
      return;
    }
  } else if (self->stalled()) {
    // Checked on every event, not only at the timeout: each event (an
    // activation too) puts the watch's timeout off again.
    self->reset({ErrorKind::Timeout, "timed out waiting for Redis at " +
                                         self->opts_.address.to_string() +
                                         " to answer (command_timeout " +
                                         format_duration(self->opts_.command_timeout) +
                                         "); connection reset"});
    return;
  } else if (events & FIBD_CACHE_WATCH_TIMEOUT) {
    // The loop's timer may fire a little early by this clock (libevent
    // keeps a coarse one), or the wait began after the timer was armed:
    // the rest of the wait, then the usual period again.
    if (self->in_flight() > 0) {
      const uint64_t waited = self->clock_.now_ns() - self->waiting_since_ns_;
      const uint64_t limit = to_ns(self->opts_.command_timeout);
      self->watches_.set(s->watch, s->want, limit - waited + 1'000'000);
      s->short_timer = true;
    }
    return;
  } else if (s->short_timer) {
    s->short_timer = false;
    self->apply(*s);
  }
  if (events & FIBD_CACHE_WATCH_READ) {
    const uint64_t waiting = self->in_flight();
    redisAsyncHandleRead(ac);
    if (self->ac_ != ac) return;  // closed while reading: `s` may be gone
    if (self->in_flight() < waiting) self->waiting_since_ns_ = self->clock_.now_ns();
  }
  if ((events & FIBD_CACHE_WATCH_WRITE) || s->flush_pending) {
    s->flush_pending = false;
    s->flushing = true;
    redisAsyncHandleWrite(ac);
    if (self->ac_ == ac) s->flushing = false;
  }
}

}  // namespace fibd_redis
