#include "cluster.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cctype>

#include "key_slot.h"

namespace fibd_redis {

namespace {

// No round starts this soon after the last one: a reshard's redirections
// and an outage's failures come in bursts (a redirection is followed anyway).
constexpr auto kCalm = std::chrono::milliseconds(50);

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

Address address_of(const ClusterNode& n) { return Address{false, n.host, n.port, {}}; }

bool unknown_subcommand(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("unknown subcommand") != std::string::npos;
}

}  // namespace

ClusterMap::ClusterMap(const Options& opts, OwnLoop& loop, NodeLinks& own_links,
                       Logger& log, const HostMetrics& metrics)
    : opts_(opts), loop_(loop), links_(own_links), log_(log), metrics_(metrics) {
  metrics_.set("cluster_nodes_known", 0);
}

std::optional<Address> ClusterMap::route(std::string_view key) const {
  const uint16_t slot = key_slot(key);
  std::lock_guard lock(mu_);
  if (!map_) return std::nullopt;
  const ClusterNode* n = map_->node_for_slot(slot);
  if (n == nullptr) return std::nullopt;
  return address_of(*n);
}

std::vector<Address> ClusterMap::masters() const {
  std::vector<Address> out;
  std::lock_guard lock(mu_);
  if (map_)
    for (const ClusterNode& n : map_->nodes()) out.push_back(address_of(n));
  return out;
}

bool ClusterMap::known() const {
  std::lock_guard lock(mu_);
  return map_ != nullptr;
}

size_t ClusterMap::node_count() const {
  std::lock_guard lock(mu_);
  return map_ ? map_->nodes().size() : 0;
}

void ClusterMap::refresh_soon() {
  const int64_t since = steady_ns() - last_round_ns_.load(std::memory_order_relaxed);
  if (since < std::chrono::nanoseconds(kCalm).count()) return;
  if (queued_.exchange(true)) return;
  loop_.post([this] {
    queued_.store(false);
    refresh();
  });
}

void ClusterMap::refresh(std::shared_ptr<SyncResult> done) {
  if (done) waiting_.push_back(std::move(done));
  if (!asking_.empty() || closing_) return;
  asking_ = opts_.cluster_nodes;
  for (const Address& a : masters()) {
    const bool listed = std::any_of(
        asking_.begin(), asking_.end(),
        [&](const Address& s) { return s.host == a.host && s.port == a.port; });
    if (!listed) asking_.push_back(a);
  }
  refreshes_.add();
  ask(0, false);
}

void ClusterMap::ask(size_t i, bool slots) {
  if (closing_) return;
  if (i >= asking_.size()) {
    end_round(false);
    return;
  }
  std::string_view shards[] = {"CLUSTER", "SHARDS"};
  std::string_view slots_args[] = {"CLUSTER", "SLOTS"};
  auto cmd = std::make_unique<Command>(
      format_command(slots ? std::span<const std::string_view>(slots_args)
                           : std::span<const std::string_view>(shards)),
      [this, i, slots](const redisReply* r, const Error& e) {
        answered(i, slots, r, e);
      });
  Error err;
  if (!links_.to(asking_[i]).send(cmd, err)) answered(i, slots, nullptr, err);
}

void ClusterMap::answered(size_t i, bool slots, const redisReply* r, const Error& err) {
  if (closing_) return;
  const std::string node = asking_[i].to_string();
  const std::string what = slots ? "CLUSTER SLOTS" : "CLUSTER SHARDS";
  std::string why;
  ErrorKind kind = ErrorKind::Reply;
  if (err.kind != ErrorKind::None) {
    why = err.message;
    kind = err.kind;
  } else if (const std::string_view text = reply_error_text(r); !text.empty()) {
    if (!slots && unknown_subcommand(text)) {
      ask(i, true);  // a server older than CLUSTER SHARDS
      return;
    }
    why = what + " answered " + std::string(text);
    if (text.starts_with("NOAUTH") || text.starts_with("WRONGPASS"))
      kind = ErrorKind::Auth;
  } else {
    SlotMapResult m = slots ? parse_cluster_slots(r, asking_[i].host)
                            : parse_cluster_shards(r, asking_[i].host);
    if (m.map && m.map->assigned_slots() == 0) m.error = "it assigns no slot";
    if (m.error.empty()) {
      const size_t nodes = m.map->nodes().size();
      const size_t assigned = m.map->assigned_slots();
      {
        std::lock_guard lock(mu_);
        map_ = std::make_shared<const SlotMap>(std::move(*m.map));
        metrics_.set("cluster_nodes_known", static_cast<int64_t>(nodes));
      }
      const std::string line = "cluster slot map from " + node + ": " +
                               std::to_string(nodes) + " masters, " +
                               std::to_string(assigned) + " slots";
      log_.log(refreshes_.load() == 1 ? FIBD_LOG_INFO : FIBD_LOG_DEBUG, line);
      end_round(true);
      return;
    }
    refused_.add();
    why = "its " + what + " reply is refused: " + m.error;
  }
  last_error_ = {kind, "cluster node " + node + ": " + why};
  log_.log_limited(FIBD_LOG_WARN, "no slot map from " + last_error_.message);
  ask(i + 1, false);
}

void ClusterMap::end_round(bool found) {
  asking_.clear();
  last_round_ns_.store(steady_ns(), std::memory_order_relaxed);
  if (!found)
    log_.log_limited(FIBD_LOG_WARN,
                     "no cluster node answered with a slot map: " + last_error_.message);
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) w->finish(nullptr, {});
}

}  // namespace fibd_redis
