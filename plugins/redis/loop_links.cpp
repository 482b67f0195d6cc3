#include "loop_links.h"

namespace fibd_redis {

LoopLinks::LoopLinks(const LinkContext& ctx, const Target& target,
                     const fibd_cache_host* host)
    : ctx_(ctx), target_(target), watches_(host) {}

Link* LoopLinks::link_for(const fibd_cache_call& call) {
  if (!watches_.offered() ||
      !FIBD_CACHE_HAS_FIELD(fibd_cache_call, call.struct_size, loop) ||
      call.loop == nullptr)
    return nullptr;
  Link* found = nullptr;
  {
    std::lock_guard lock(mu_);
    for (auto& [loop, link] : links_)
      if (loop == call.loop) found = link.get();
    if (found == nullptr) {
      uint64_t generation = 0;
      Endpoint to = target_.endpoint(generation);
      links_.emplace_back(call.loop, std::make_unique<Link>(ctx_, std::move(to), watches_,
                                                            call.loop, generation));
      return links_.back().second.get();
    }
  }
  found->follow(target_);  // on the loop's thread: the link is its own
  return found;
}

void LoopLinks::clear() {
  decltype(links_) closing;
  {
    std::lock_guard lock(mu_);
    closing.swap(links_);
  }
  // Outside the lock: closing a link waits for its loop's callback in
  // progress, and that callback may look for a link.
  closing.clear();
}

size_t LoopLinks::connected() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& entry : links_) n += entry.second->connected() ? 1 : 0;
  return n;
}

}  // namespace fibd_redis
