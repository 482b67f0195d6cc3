// One event loop's links (link.h): the link to the target (a single node,
// or the master the sentinels name), or in cluster mode one link per
// cluster node, each made on first use. Used on that loop's thread; only
// connected() is read from others.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "link.h"
#include "target.h"

namespace fibd_redis {

// Empties `items` under `mu`, then destroys them outside it: closing a link
// waits for its loop's callback in progress, and that callback may look for
// a link.
template <class Items>
void destroy_outside(std::mutex& mu, Items& items) {
  Items closing;
  {
    std::lock_guard lock(mu);
    closing.swap(items);
  }
  closing.clear();
}

class NodeLinks {
 public:
  // `loop`: the fibd loop the links' watches are made on; nullptr for the
  // own loop.
  NodeLinks(const LinkContext& ctx, const Watches& watches, fibd_cache_loop* loop)
      : ctx_(ctx), watches_(watches), loop_(loop) {}
  // Closes every link (see ~Link).
  ~NodeLinks() { clear(); }
  NodeLinks(const NodeLinks&) = delete;
  NodeLinks& operator=(const NodeLinks&) = delete;

  // The link to `target`, following a change of its address.
  Link& following(const Target& target);
  // The link to the cluster node at `node` (the options' credentials, no
  // SELECT).
  Link& to(const Address& node);
  // Any thread, once no call is made on these links any more.
  void clear() { destroy_outside(mu_, links_); }
  size_t connected() const;  // links with a connection up

 private:
  Link& add(Endpoint to, uint64_t generation);

  const LinkContext ctx_;
  const Watches& watches_;
  fibd_cache_loop* const loop_;
  // Changed under mu_ on the loop's thread, which reads it without.
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Link>> links_;
};

}  // namespace fibd_redis
