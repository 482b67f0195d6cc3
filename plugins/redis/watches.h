// What drives a link: an event loop's watches, with the semantics of the
// host's (see "Event-loop watches" in <fibd/cache_plugin.h>). Either one of
// fibd's loops through the host's services (HostWatches), or the plugin's
// own loop (own_loop.h), for calls made without one.
#pragma once

#include <fibd/cache_plugin.h>

#include <cstdint>

namespace fibd_redis {

class Watches {
 public:
  // On the loop's thread. NULL when it cannot be made.
  virtual fibd_cache_watch* make(fibd_cache_loop* loop, int fd, fibd_cache_watch_fn fn,
                                 void* arg) const = 0;
  // On the loop's thread; false once the loop has stopped.
  virtual bool set(fibd_cache_watch* w, uint32_t events, uint64_t timeout_ns) const = 0;
  virtual bool activate(fibd_cache_watch* w) const = 0;
  virtual void free(fibd_cache_watch* w) const = 0;

 protected:
  ~Watches() = default;
};

// The host's watch services, when it offers them.
class HostWatches final : public Watches {
 public:
  explicit HostWatches(const fibd_cache_host* host);
  bool offered() const { return host_ != nullptr; }
  fibd_cache_watch* make(fibd_cache_loop* loop, int fd, fibd_cache_watch_fn fn,
                         void* arg) const override;
  bool set(fibd_cache_watch* w, uint32_t events, uint64_t timeout_ns) const override;
  bool activate(fibd_cache_watch* w) const override;
  void free(fibd_cache_watch* w) const override;

 private:
  const fibd_cache_host* host_ = nullptr;  // null: no watches
};

}  // namespace fibd_redis
