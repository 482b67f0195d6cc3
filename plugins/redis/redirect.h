// What a Redis Cluster or replica's error reply means to a client: a
// redirection (MOVED, ASK) to follow, a transient state (TRYAGAIN,
// CLUSTERDOWN, MASTERDOWN), a write sent to a replica (READONLY), or any
// other error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster_node.h"

namespace fibd_redis {

enum class ReplyErrorKind {
  kOther,        // not one of the codes below
  kMoved,        // "MOVED <slot> <host>:<port>": the slot lives there now
  kAsk,          // "ASK <slot> <host>:<port>": this one command, after ASKING
  kBadRedirect,  // starts with MOVED or ASK but does not parse: see `problem`
  kTryAgain,     // "TRYAGAIN ...": a multi-key command during a slot migration
  kClusterDown,  // "CLUSTERDOWN ...": the cluster, or the key's slot, is not served
  kReadOnly,     // "READONLY ...": a write sent to a replica
  kMasterDown,   // "MASTERDOWN ...": a replica that lost its master refuses reads
};

struct ReplyError {
  ReplyErrorKind kind = ReplyErrorKind::kOther;
  uint16_t slot = 0;    // kMoved, kAsk
  ClusterNode node;     // kMoved, kAsk: where to go
  std::string problem;  // kBadRedirect: what is wrong with it
};

// `text` is the error reply as hiredis gives it (no leading '-').
// `answering_host` is the host of the node that sent it: a redirection with
// an empty host ("MOVED 3999 :6381", a cluster whose preferred endpoint is
// unknown) means that host. An IPv6 host comes as "::1:7000" (Redis) or
// "[::1]:7000"; the node's host never has brackets.
ReplyError classify_reply_error(std::string_view text, std::string_view answering_host);

}  // namespace fibd_redis
