#include "watches.h"

namespace fibd_redis {

namespace {

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

}  // namespace fibd_redis
