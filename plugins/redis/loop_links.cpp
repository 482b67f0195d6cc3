#include "loop_links.h"

namespace fibd_redis {

LoopLinks::LoopLinks(const LinkContext& ctx, const fibd_cache_host* host)
    : ctx_(ctx), watches_(host) {}

NodeLinks* LoopLinks::links_for(const fibd_cache_call& call) {
  if (!watches_.offered() ||
      !FIBD_CACHE_HAS_FIELD(fibd_cache_call, call.struct_size, loop) ||
      call.loop == nullptr)
    return nullptr;
  return &of(call.loop);
}

NodeLinks& LoopLinks::of(fibd_cache_loop* loop) {
  std::lock_guard lock(mu_);
  for (auto& [l, links] : loops_)
    if (l == loop) return *links;
  loops_.emplace_back(loop, std::make_unique<NodeLinks>(ctx_, watches_, loop));
  return *loops_.back().second;
}

size_t LoopLinks::connected() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& entry : loops_) n += entry.second->connected();
  return n;
}

}  // namespace fibd_redis
