// Sentinel mode: which node is the master named `master_name`. The
// sentinels are asked in turn (SENTINEL get-master-addr-by-name); the node
// one names must answer ROLE "master" before it becomes the target, so a
// sentinel that is down or names a replica or nothing is passed over while
// another answers. One sentinel's +switch-master messages (SUBSCRIBE) start
// a new round at once; so does a data connection lost or refused
// (READONLY, a replica at ROLE). A round that finds none is tried again.
//
// Runs on the plugin's own loop; refresh_soon() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "link.h"
#include "logger.h"
#include "own_loop.h"
#include "target.h"

namespace fibd_redis {

class SentinelWatch {
 public:
  SentinelWatch(const LinkContext& ctx, OwnLoop& loop, Target& target, Logger& log);
  // The own loop's thread (or its driver).
  ~SentinelWatch();
  SentinelWatch(const SentinelWatch&) = delete;
  SentinelWatch& operator=(const SentinelWatch&) = delete;

  // The own loop's thread: a round now, unless one is under way (then
  // `done`, if any, is finished when it ends: found or not).
  void refresh(std::shared_ptr<SyncResult> done = nullptr);
  // Any thread.
  void refresh_soon();
  // What the last round learnt from the sentinels, for create()'s message.
  const Error& last_error() const { return last_error_; }
  // Rounds of asking the sentinels, and how often one named a new master.
  uint64_t rounds() const { return rounds_.load(); }
  uint64_t master_changes() const { return master_changes_.load(); }

 private:
  void ask(size_t i);
  void probe(size_t i, const Address& candidate);
  void end_round(bool found);
  void subscribe(size_t i);
  void on_message(const redisReply* reply);
  void arm_timer(std::chrono::milliseconds after);
  static void on_timer(void* self, uint32_t events);

  const LinkContext ctx_;
  OwnLoop& loop_;
  Target& target_;
  Logger& log_;
  Endpoint data_;  // the master's credentials and db
  std::vector<std::unique_ptr<Link>> sentinels_;
  std::unique_ptr<Link> probe_;       // ROLE on the candidate
  std::unique_ptr<Link> subscriber_;  // +switch-master
  fibd_cache_watch* timer_ = nullptr;
  bool asking_ = false;
  bool subscribed_ = false;
  bool closing_ = false;
  std::vector<std::shared_ptr<SyncResult>> waiting_;
  Error last_error_;
  EventCount rounds_{ctx_.metrics, "sentinel_rounds"};
  EventCount master_changes_{ctx_.metrics, "sentinel_master_changes"};
};

}  // namespace fibd_redis
