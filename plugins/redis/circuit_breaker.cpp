#include "circuit_breaker.h"

#include <algorithm>
#include <utility>

namespace fibd_redis {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {
CircuitBreaker::Params sane(CircuitBreaker::Params p) {
  p.threshold = std::max(p.threshold, 1);
  p.initial_backoff = std::max(p.initial_backoff, milliseconds(1));
  p.max_backoff = std::max(p.max_backoff, p.initial_backoff);
  return p;
}
}  // namespace

CircuitBreaker::CircuitBreaker(Params p, Observer observer)
    : p_(sane(p)), observer_(std::move(observer)), backoff_(p_.initial_backoff) {}

void CircuitBreaker::change_locked(State now, bool opened) {
  state_.store(now, std::memory_order_release);
  if (observer_) observer_(now, opened);
}

CircuitBreaker::Decision CircuitBreaker::allow(Clock::time_point now) {
  // Fast path: closed, no lock.
  if (state_.load(std::memory_order_acquire) == State::Closed)
    return {true, false, milliseconds(0)};
  std::lock_guard lock(mu_);
  switch (state_.load(std::memory_order_relaxed)) {
    case State::Closed:
      return {true, false, milliseconds(0)};
    case State::Open:
      if (now >= open_until_) {
        change_locked(State::HalfOpen);
        probe_started_ = now;
        return {true, true, milliseconds(0)};
      }
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return {false, false,
              std::max(milliseconds(1), duration_cast<milliseconds>(open_until_ - now))};
    case State::HalfOpen:
      if (now - probe_started_ >= p_.probe_timeout) {
        probe_started_ = now;  // the probe got lost: send another
        return {true, true, milliseconds(0)};
      }
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return {false, false, milliseconds(0)};
  }
  return {true, false, milliseconds(0)};
}

CircuitBreaker::Transition CircuitBreaker::on_success() {
  // Fast path: closed and no failure counted. A failure racing with this
  // success is simply ordered after it.
  if (state_.load(std::memory_order_acquire) == State::Closed &&
      failures_.load(std::memory_order_acquire) == 0)
    return Transition::None;
  std::lock_guard lock(mu_);
  failures_.store(0, std::memory_order_release);
  backoff_ = p_.initial_backoff;
  if (state_.load(std::memory_order_relaxed) == State::Closed) return Transition::None;
  change_locked(State::Closed);
  return Transition::Closed;
}

CircuitBreaker::Transition CircuitBreaker::open_locked(Clock::time_point now) {
  State was = state_.load(std::memory_order_relaxed);
  if (was == State::HalfOpen) backoff_ = std::min(backoff_ * 2, p_.max_backoff);
  open_until_ = now + backoff_;
  if (was == State::Closed) opens_.fetch_add(1, std::memory_order_relaxed);
  change_locked(State::Open, was == State::Closed);
  if (was == State::Closed) return Transition::Opened;
  return was == State::HalfOpen ? Transition::Reopened : Transition::None;
}

CircuitBreaker::Transition CircuitBreaker::on_failure(Clock::time_point now) {
  std::lock_guard lock(mu_);
  switch (state_.load(std::memory_order_relaxed)) {
    case State::Closed:
      if (failures_.fetch_add(1, std::memory_order_acq_rel) + 1 < p_.threshold)
        return Transition::None;
      failures_.store(0, std::memory_order_release);
      return open_locked(now);
    case State::HalfOpen:
      return open_locked(now);
    case State::Open:
      // A call let through before the breaker opened failed late: nothing new.
      return Transition::None;
  }
  return Transition::None;
}

CircuitBreaker::Transition CircuitBreaker::trip(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (state_.load(std::memory_order_relaxed) == State::Open) return Transition::None;
  failures_.store(0, std::memory_order_release);
  return open_locked(now);
}

std::chrono::milliseconds CircuitBreaker::current_backoff() const {
  std::lock_guard lock(mu_);
  return backoff_;
}

}  // namespace fibd_redis
