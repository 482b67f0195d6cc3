#include "pipeline.h"

namespace fibd_redis {

Pipeline::Pipeline(const Options& opts, const HostClock& clock, PipelineHandler& handler)
    : opts_(opts), handler_(handler), io_([this] { dispatch(); }) {
  for (int i = 0; i < opts_.pool_size; ++i)
    links_.push_back(
        std::make_unique<PipelineLink>(opts_, io_.base(), clock, handler_, counters_));
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start(bool connect) {
  // Before the thread runs, this thread may use the base.
  if (connect)
    for (auto& link : links_) link->connect_now();
  io_.start();
}

bool Pipeline::submit(std::unique_ptr<Command>& cmd) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    wake = queue_.empty();
    queue_.push_back(std::move(cmd));
  }
  // A non-empty queue has a wake-up on its way already.
  if (wake) io_.wake();
  return true;
}

void Pipeline::dispatch() {
  std::vector<std::unique_ptr<Command>> batch;
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    stopping = stopping_;
  }
  const Error closed{ErrorKind::Closed, "the redis plugin instance is being destroyed"};
  // A batch goes out on one connection, the next batch on the next one: one
  // write and one read per batch on each side (Redis' too), instead of one
  // per connection the commands were spread over. On loopback a write costs
  // both ends' TCP processing, and that is most of what a hit costs.
  PipelineLink& link = *links_[next_];
  next_ = (next_ + 1) % links_.size();
  for (auto& cmd : batch) {
    Error err;
    bool sent = false;
    if (!stopping) sent = link.send(cmd, err);
    if (!sent) {
      cmd->reported = true;
      handler_.on_result(*cmd, nullptr, stopping ? closed : err);
    }
  }
}

void Pipeline::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && links_.empty()) return;
    stopping_ = true;
  }
  // The last dispatch fails what is queued; closing the links fails what is
  // in flight. Both on the I/O thread, before it is joined.
  io_.stop([this] { links_.clear(); });
}

size_t Pipeline::connected() const {
  size_t n = 0;
  for (auto& link : links_) n += link->connected() ? 1 : 0;
  return n;
}

size_t Pipeline::idle() const {
  size_t n = 0;
  for (auto& link : links_) n += link->connected() && link->in_flight() == 0 ? 1 : 0;
  return n;
}

}  // namespace fibd_redis
