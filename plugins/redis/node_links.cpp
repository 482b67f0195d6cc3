#include "node_links.h"

namespace fibd_redis {

Link& NodeLinks::add(Endpoint to, uint64_t generation) {
  auto link = std::make_unique<Link>(ctx_, std::move(to), watches_, loop_, generation);
  std::lock_guard lock(mu_);
  links_.push_back(std::move(link));
  return *links_.back();
}

Link& NodeLinks::following(const Target& target) {
  if (links_.empty()) {
    uint64_t generation = 0;
    Endpoint to = target.endpoint(generation);
    return add(std::move(to), generation);
  }
  links_.front()->follow(target);
  return *links_.front();
}

Link& NodeLinks::to(const Address& node) {
  for (auto& link : links_) {
    const Address& a = link->endpoint().address;
    if (a.port == node.port && a.host == node.host) return *link;
  }
  const Options& o = ctx_.opts;
  return add(Endpoint{node, o.username, o.password, 0, false}, 0);
}

size_t NodeLinks::connected() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& link : links_) n += link->connected() ? 1 : 0;
  return n;
}

}  // namespace fibd_redis
