#include "breakers.h"

#include <algorithm>
#include <vector>

namespace fibd_redis {

Breakers::Breakers(CircuitBreaker::Params p, CircuitBreaker::Observer observer)
    : params_(p),
      observer_(std::move(observer)),
      target_(std::nullopt, p, [this](auto, bool opened) { changed(opened); }) {}

Breaker& Breakers::of(const std::optional<Address>& node) {
  if (!node) return target_;
  const std::string key = node->to_string();
  std::lock_guard lock(mu_);
  auto& slot = nodes_[key];
  if (!slot)
    slot = std::make_unique<Breaker>(node, params_,
                                     [this](auto, bool opened) { changed(opened); });
  return *slot;
}

// Called with the changed breaker's lock held: each() holds mu_ only to
// list the breakers, never while it calls one. The observer's calls are
// one at a time, each reading the states after its own change, so the last
// one told always saw every change before it.
void Breakers::changed(bool opened) {
  if (!observer_) return;
  std::lock_guard lock(observer_mu_);
  observer_(worst(), opened);
}

template <class F>
void Breakers::each(F f) const {
  std::vector<const CircuitBreaker*> all = {&target_.breaker};
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, b] : nodes_) all.push_back(&b->breaker);
  }
  for (const CircuitBreaker* b : all) f(*b);  // never freed before the instance
}

CircuitBreaker::State Breakers::worst() const {
  using State = CircuitBreaker::State;
  State out = State::Closed;
  each([&](const CircuitBreaker& b) {
    const State s = b.state();
    if (s == State::Open || (s == State::HalfOpen && out == State::Closed)) out = s;
  });
  return out;
}

size_t Breakers::not_closed() const {
  size_t n = 0;
  each([&](const CircuitBreaker& b) { n += b.state() != CircuitBreaker::State::Closed; });
  return n;
}

uint64_t Breakers::opens() const {
  uint64_t n = 0;
  each([&](const CircuitBreaker& b) { n += b.opens(); });
  return n;
}

uint64_t Breakers::rejected() const {
  uint64_t n = 0;
  each([&](const CircuitBreaker& b) { n += b.rejected(); });
  return n;
}

std::chrono::milliseconds Breakers::longest_backoff() const {
  std::chrono::milliseconds out{0};
  each([&](const CircuitBreaker& b) { out = std::max(out, b.current_backoff()); });
  return out;
}

}  // namespace fibd_redis
