// The links driven by fibd's event loops: one NodeLinks per loop that has
// made a get or set, made on that loop's first call. The host's loops live
// as long as the instance (fibd stops them only at shutdown), so a loop is
// known by its handle.
#pragma once

#include <fibd/cache_plugin.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "node_links.h"

namespace fibd_redis {

class LoopLinks {
 public:
  LoopLinks(const LinkContext& ctx, const fibd_cache_host* host);
  ~LoopLinks() { clear(); }
  LoopLinks(const LoopLinks&) = delete;
  LoopLinks& operator=(const LoopLinks&) = delete;

  // The links of the loop a call is made on (its thread), or nullptr when
  // the call carries no loop or the host offers no watches.
  NodeLinks* links_for(const fibd_cache_call& call);
  // Those of `loop` (its thread), made if need be.
  NodeLinks& of(fibd_cache_loop* loop);
  // Any thread, once no call is made any more: closes every link; the
  // commands still on them fail (ErrorKind::Closed) on this thread.
  void clear() { destroy_outside(mu_, loops_); }

  size_t connected() const;  // links with a connection up

 private:
  const LinkContext ctx_;
  const HostWatches watches_;
  mutable std::mutex mu_;
  std::vector<std::pair<fibd_cache_loop*, std::unique_ptr<NodeLinks>>> loops_;
};

}  // namespace fibd_redis
