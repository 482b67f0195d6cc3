// A bounded, thread-safe pool of blocking Redis connections (redis.so keeps
// one, for del, clear and create()'s first check). At most `capacity`
// connections exist; a caller takes an idle one, opens a new one while under
// the limit, or waits (until its deadline) for one to come back. A
// connection that failed is closed, never returned to the pool.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "connection.h"
#include "options.h"

namespace fibd_redis {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }
    // True when the connection had been used before (it may have gone stale
    // while idle); false for one opened for this call.
    bool reused() const { return reused_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> c, bool reused)
        : pool_(pool), conn_(std::move(c)), reused_(reused) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
    bool reused_;
  };

  // At most `capacity` connections (at least 1).
  ConnectionPool(const Options& opts, size_t capacity);
  // Every lease must have been returned.
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection before `deadline`, or nullopt + err (Connect, Auth, Select,
  // Timeout, ... when opening failed; Busy when none came free in time).
  std::optional<Lease> acquire(Deadline deadline, Error& err);

  // Adds an already open connection (create()'s first one) as idle.
  void adopt(std::unique_ptr<Connection> c);

  // Closes every idle connection: after one connection found Redis gone,
  // the others opened before are most likely dead too.
  void drop_idle();

  size_t capacity() const { return capacity_; }
  size_t open_count() const;
  size_t idle_count() const;
  uint64_t connects() const;          // connections opened successfully
  uint64_t connect_failures() const;  // attempts that failed
  uint64_t discarded() const;         // connections closed after an error

 private:
  void give_back(std::unique_ptr<Connection> c);

  const Options& opts_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
  size_t open_ = 0;                                // idle + leased + being opened
  uint64_t connects_ = 0;
  uint64_t connect_failures_ = 0;
  uint64_t discarded_ = 0;
};

}  // namespace fibd_redis
