#include "connection_pool.h"

#include <utility>

namespace fibd_redis {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      reused_(other.reused_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(conn_));
}

ConnectionPool::ConnectionPool(const Options& opts, size_t capacity)
    : opts_(opts), capacity_(capacity > 0 ? capacity : 1) {}

ConnectionPool::~ConnectionPool() = default;

std::optional<ConnectionPool::Lease> ConnectionPool::acquire(Deadline deadline,
                                                             Error& err) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c), true);
    }
    if (open_ < capacity_) {
      ++open_;  // reserve the slot, connect without the lock
      lock.unlock();
      std::unique_ptr<Connection> c;
      try {
        c = Connection::open(opts_, deadline, err);
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
      lock.lock();
      if (!c) {
        --open_;
        ++connect_failures_;
        cv_.notify_one();  // a waiter may try its own connect
        return std::nullopt;
      }
      ++connects_;
      return Lease(this, std::move(c), false);
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= capacity_) {
      err = {ErrorKind::Busy, "all " + std::to_string(capacity_) +
                                  " Redis connections stayed busy (option 'pool_size')"};
      return std::nullopt;
    }
  }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> c) {
  std::unique_ptr<Connection> to_close;
  {
    std::lock_guard lock(mu_);
    if (c && !c->broken()) {
      idle_.push_back(std::move(c));
    } else {
      to_close = std::move(c);
      --open_;
      ++discarded_;
    }
  }
  cv_.notify_one();
  // to_close is closed here, outside the lock.
}

void ConnectionPool::adopt(std::unique_ptr<Connection> c) {
  if (!c) return;
  {
    std::lock_guard lock(mu_);
    if (open_ >= capacity_) return;  // cannot happen: adopt() comes first
    ++open_;
    ++connects_;
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

void ConnectionPool::drop_idle() {
  std::vector<std::unique_ptr<Connection>> old;
  {
    std::lock_guard lock(mu_);
    old.swap(idle_);
    open_ -= old.size();
    discarded_ += old.size();
  }
  if (!old.empty()) cv_.notify_all();
}

size_t ConnectionPool::open_count() const {
  std::lock_guard lock(mu_);
  return open_;
}
size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}
uint64_t ConnectionPool::connects() const {
  std::lock_guard lock(mu_);
  return connects_;
}
uint64_t ConnectionPool::connect_failures() const {
  std::lock_guard lock(mu_);
  return connect_failures_;
}
uint64_t ConnectionPool::discarded() const {
  std::lock_guard lock(mu_);
  return discarded_;
}

}  // namespace fibd_redis
