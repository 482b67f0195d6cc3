// redis.so's Redis Cluster parsers: bytes read by hiredis' own reader into
// redisReply trees (as a connection would), then each tree given to the
// CLUSTER SHARDS and CLUSTER SLOTS parsers and, for errors and strings, to
// the redirection parser; every string is also hashed to its slot. A parse
// either fails with a reason or gives a map in which every assigned slot
// names a real, plausible node and every node serves a slot; a redirection
// names a slot and a plausible node or says what is wrong. The slot of a
// key is checked against a plain bit-by-bit CRC16. Each tree is read a
// second time with its even-length arrays taken as RESP3 maps.
#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "key_slot.h"
#include "redirect.h"
#include "slot_map.h"

using namespace fibd_redis;

namespace {

// hiredis 0.14 allocates an array as announced, before any element arrives:
// "*999999999" alone would take gigabytes. Such arrays end the read here.
constexpr unsigned long long kMaxElements = 1 << 16;

redisReplyObjectFunctions original;
redisReplyObjectFunctions bounded;

template <typename Create>
struct BoundedArray;
template <typename Count>
struct BoundedArray<void* (*)(const redisReadTask*, Count)> {
  static void* create(const redisReadTask* task, Count elements) {
    if (static_cast<unsigned long long>(elements) > kMaxElements) return nullptr;
    return original.createArray(task, elements);
  }
};

uint16_t slow_key_slot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  unsigned crc = 0;
  for (const char c : key) {
    crc ^= static_cast<unsigned>(static_cast<uint8_t>(c)) << 8;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    crc &= 0xffff;
  }
  return static_cast<uint16_t>(crc % 16384);
}

void check_map(const SlotMapResult& result) {
  FUZZ_CHECK(result.map.has_value() == result.error.empty(), "map %d, error \"%s\"",
             result.map.has_value(), result.error.c_str());
  if (!result.map) return;
  const SlotMap& map = *result.map;
  std::vector<size_t> served(map.nodes().size(), 0);
  size_t assigned = 0;
  for (unsigned slot = 0; slot < kClusterSlots; ++slot) {
    const auto index = map.index_for_slot(static_cast<uint16_t>(slot));
    const ClusterNode* node = map.node_for_slot(static_cast<uint16_t>(slot));
    FUZZ_CHECK(index.has_value() == (node != nullptr), "slot %u", slot);
    if (!index) continue;
    FUZZ_CHECK(*index < map.nodes().size(), "slot %u: node %zu of %zu", slot, *index,
               map.nodes().size());
    FUZZ_CHECK(node == &map.nodes()[*index], "slot %u", slot);
    ++served[*index];
    ++assigned;
  }
  FUZZ_CHECK(assigned == map.assigned_slots(), "%zu != %zu", assigned,
             map.assigned_slots());
  FUZZ_CHECK(map.node_for_slot(kClusterSlots) == nullptr, "slot 16384 has a node");
  std::set<std::pair<std::string, uint16_t>> seen;
  for (size_t i = 0; i < map.nodes().size(); ++i) {
    const ClusterNode& n = map.nodes()[i];
    FUZZ_CHECK(served[i] > 0, "node %zu serves no slot", i);
    FUZZ_CHECK(plausible_host(n.host) && n.port != 0, "node \"%s\"",
               n.to_string().c_str());
    FUZZ_CHECK(seen.emplace(n.host, n.port).second, "node %s twice",
               n.to_string().c_str());
  }
}

void check_error(std::string_view text, std::string_view answering_host) {
  const ReplyError e = classify_reply_error(text, answering_host);
  const bool redirect =
      e.kind == ReplyErrorKind::kMoved || e.kind == ReplyErrorKind::kAsk;
  if (redirect) {
    FUZZ_CHECK(e.slot < kClusterSlots && e.node.port != 0 && plausible_host(e.node.host),
               "redirect to %u %s", e.slot, e.node.to_string().c_str());
    FUZZ_CHECK(text.substr(0, text.find(' ')) ==
                   (e.kind == ReplyErrorKind::kMoved ? "MOVED" : "ASK"),
               "a redirect from \"%.*s\"", static_cast<int>(text.size()), text.data());
  }
  FUZZ_CHECK((e.kind == ReplyErrorKind::kBadRedirect) == !e.problem.empty(),
             "kind %d, problem \"%s\"", static_cast<int>(e.kind), e.problem.c_str());
}

// Every string and error of the tree, hashed and classified. Depth is bounded
// by the reader; the walk is bounded too in case that ever changes.
void walk(const redisReply* r, std::string_view answering_host, int depth) {
  if (r == nullptr || depth > 16) return;
  if (r->str != nullptr) {
    const std::string_view text(r->str, r->len);
    const uint16_t slot = key_slot(text);
    FUZZ_CHECK(slot == slow_key_slot(text), "key_slot %u, expected %u", slot,
               slow_key_slot(text));
    check_error(text, answering_host);
  }
  if (r->element != nullptr)
    for (size_t i = 0; i < r->elements; ++i)
      walk(r->element[i], answering_host, depth + 1);
}

// The arrays of the tree that could be RESP3 maps (an even number of
// elements), so that the same tree is also read with them as maps: hiredis
// 0.14 reads no RESP3, and its trees must reach the map paths too.
void even_arrays(redisReply* r, std::vector<redisReply*>& out, int depth) {
  if (r == nullptr || depth > 16 || r->type != REDIS_REPLY_ARRAY || r->element == nullptr)
    return;
  if (r->elements % 2 == 0) out.push_back(r);
  for (size_t i = 0; i < r->elements; ++i) even_arrays(r->element[i], out, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    redisReader* probe = redisReaderCreate();
    original = *probe->fn;
    redisReaderFree(probe);
    bounded = original;
    bounded.createArray = &BoundedArray<decltype(original.createArray)>::create;
    return true;
  }();
  (void)once;

  redisReader* reader = redisReaderCreate();
  reader->fn = &bounded;
  if (redisReaderFeed(reader, reinterpret_cast<const char*>(data), size) == REDIS_OK) {
    void* reply = nullptr;
    for (int n = 0; n < 8; ++n) {
      if (redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) break;
      auto* r = static_cast<redisReply*>(reply);
      // The host that answered: a real one, or none (then an empty endpoint
      // or redirection host has nothing to stand for it).
      const std::string_view answering_host = n % 2 == 0 ? "127.0.0.1" : "";
      check_map(parse_cluster_shards(r, answering_host));
      check_map(parse_cluster_slots(r, answering_host));
      walk(r, answering_host, 0);
      std::vector<redisReply*> maps;
      even_arrays(r, maps, 0);
      if (!maps.empty()) {
        for (redisReply* m : maps) m->type = 9;  // REDIS_REPLY_MAP in hiredis 1.x
        check_map(parse_cluster_shards(r, answering_host));
        check_map(parse_cluster_slots(r, answering_host));
        for (redisReply* m : maps) m->type = REDIS_REPLY_ARRAY;  // as hiredis 0.14 frees
      }
      freeReplyObject(reply);
    }
  }
  redisReaderFree(reader);
  return 0;
}
