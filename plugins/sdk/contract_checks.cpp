#include "contract_checks.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "plugin_host/cache_factory.h"

namespace fibd::plugin_check {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kShortTtlMs = 200;
constexpr auto kShortTtlWait = std::chrono::milliseconds(450);

// Checks one get(): the expected status and, for HIT, the exact bytes.
std::string expect_get(PluginCache& c, const std::string& key, fibd_cache_status want,
                       const std::string& want_value = "") {
  std::string value, error;
  fibd_cache_status got = c.get_status(key, value, error);
  if (got == FIBD_CACHE_ERROR) return "get(" + show(key) + ") failed: " + error;
  if (got != want) {
    std::string problem = "get(" + show(key) + ") returned " + status_name(got) +
                          ", expected " + status_name(want);
    if (got == FIBD_CACHE_HIT) problem += " (value " + show(value) + ")";
    return problem;
  }
  if (want == FIBD_CACHE_HIT && value != want_value) {
    return "get(" + show(key) + ") returned " + show(value) + ", expected " +
           show(want_value);
  }
  return "";
}

std::string expect_set(PluginCache& c, const std::string& key, const std::string& value,
                       std::uint64_t ttl_ms) {
  std::string error;
  fibd_cache_status got = c.set_status(key, value, ttl_ms, error);
  if (got == FIBD_CACHE_OK) return "";
  return "set(" + show(key) + ", " + std::to_string(value.size()) + " bytes) returned " +
         status_name(got) + (error.empty() ? "" : ": " + error);
}

}  // namespace

void check_miss(Report& r, PluginCache& c, const std::string& p) {
  r.expect("miss on a key never set", expect_get(c, p + "miss", FIBD_CACHE_NOT_FOUND));
}

void check_set_hit(Report& r, PluginCache& c, const std::string& p) {
  r.expect("set then hit",
           first_of({expect_set(c, p + "k1", "value one", kLongTtlMs),
                     expect_get(c, p + "k1", FIBD_CACHE_HIT, "value one")}));
}

void check_overwrite(Report& r, PluginCache& c, const std::string& p) {
  r.expect("overwrite", first_of({expect_set(c, p + "k1", "value one", kLongTtlMs),
                                  expect_set(c, p + "k1", "value two", kLongTtlMs),
                                  expect_get(c, p + "k1", FIBD_CACHE_HIT, "value two")}));
}

void check_empty_value(Report& r, PluginCache& c, const std::string& p) {
  r.expect("empty value", first_of({expect_set(c, p + "empty", "", kLongTtlMs),
                                    expect_get(c, p + "empty", FIBD_CACHE_HIT, "")}));
}

// A short entry expires, a TTL of 0 never does.
void check_ttl(Report& r, PluginCache& c, const std::string& p) {
  std::string problem =
      first_of({expect_set(c, p + "short", "short-lived", kShortTtlMs),
                expect_set(c, p + "forever", "no expiry", 0),
                expect_get(c, p + "short", FIBD_CACHE_HIT, "short-lived")});
  if (problem.empty()) {
    std::this_thread::sleep_for(kShortTtlWait);
    std::string value, error;
    fibd_cache_status s = c.get_status(p + "short", value, error);
    if (s == FIBD_CACHE_HIT) {
      problem = "an entry set with a " + std::to_string(kShortTtlMs) +
                " ms TTL was still returned after " +
                std::to_string(kShortTtlWait.count()) + " ms";
    } else if (s == FIBD_CACHE_ERROR) {
      problem = "get after expiry failed: " + error;
    } else {
      problem = expect_get(c, p + "forever", FIBD_CACHE_HIT, "no expiry");
      if (problem.empty()) {
        r.pass("TTL expiry", std::string("expired entry answered ") + status_name(s) +
                                 "; TTL 0 entry kept");
      }
    }
  }
  if (!problem.empty()) r.fail("TTL expiry", problem);
}

void check_delete(Report& r, PluginCache& c, const std::string& p) {
  if (c.descriptor().del == nullptr) {
    r.skip("delete", "not offered");
    return;
  }
  std::string error;
  std::string problem = expect_set(c, p + "del", "to delete", kLongTtlMs);
  if (problem.empty()) {
    fibd_cache_status s = c.del(p + "del", error);
    if (s != FIBD_CACHE_OK) {
      problem = std::string("del of a present key returned ") + status_name(s) +
                (error.empty() ? "" : ": " + error);
    }
  }
  if (problem.empty()) problem = expect_get(c, p + "del", FIBD_CACHE_NOT_FOUND);
  if (problem.empty()) {
    fibd_cache_status s = c.del(p + "del", error);
    if (s != FIBD_CACHE_NOT_FOUND) {
      problem = std::string("del of a missing key returned ") + status_name(s) +
                ", expected NOT_FOUND";
    }
  }
  r.expect("delete", problem);
}

void check_clear(Report& r, PluginCache& c, const std::string& p) {
  if (c.descriptor().clear == nullptr) {
    r.skip("clear", "not offered");
    return;
  }
  std::string error;
  std::string problem = first_of({expect_set(c, p + "c1", "one", kLongTtlMs),
                                  expect_set(c, p + "c2", "two", kLongTtlMs)});
  if (problem.empty()) {
    fibd_cache_status s = c.clear(error);
    if (s != FIBD_CACHE_OK) {
      problem = std::string("clear returned ") + status_name(s) + ": " + error;
    }
  }
  if (problem.empty()) {
    problem = first_of({expect_get(c, p + "c1", FIBD_CACHE_NOT_FOUND),
                        expect_get(c, p + "c2", FIBD_CACHE_NOT_FOUND)});
  }
  r.expect("clear", problem);
}

void check_big_value(Report& r, PluginCache& c, const std::string& p) {
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>((i * 131 + (i >> 13)) & 0xff);
  }
  r.expect("1 MiB value", first_of({expect_set(c, p + "big", big, kLongTtlMs),
                                    expect_get(c, p + "big", FIBD_CACHE_HIT, big)}));
}

void check_binary(Report& r, PluginCache& c, const std::string& p) {
  using namespace std::string_literals;
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::string k_a = p + "bin\0a"s, k_b = p + "bin\0b"s, k_p = p + "bin"s,
                    k_n = p + "bin\0"s, k_all = p + all_bytes;
  const std::string v_a = "A\0\xff\0"s, v_b = "\0B\0"s, v_p = "prefix"s, v_n = "\0"s,
                    v_all = all_bytes + all_bytes;
  r.expect(
      "binary-safe keys and values",
      first_of({expect_set(c, k_a, v_a, kLongTtlMs), expect_set(c, k_b, v_b, kLongTtlMs),
                expect_set(c, k_p, v_p, kLongTtlMs), expect_set(c, k_n, v_n, kLongTtlMs),
                expect_set(c, k_all, v_all, kLongTtlMs),
                expect_get(c, k_a, FIBD_CACHE_HIT, v_a),
                expect_get(c, k_b, FIBD_CACHE_HIT, v_b),
                expect_get(c, k_p, FIBD_CACHE_HIT, v_p),
                expect_get(c, k_n, FIBD_CACHE_HIT, v_n),
                expect_get(c, k_all, FIBD_CACHE_HIT, v_all)}),
      "keys and values with NUL and 0xff bytes, keys that prefix each other");
}

namespace {

// Extra completions arrive after the first, if at all: give them a moment.
constexpr auto kLateCompletionWait = std::chrono::milliseconds(50);

// "" when the traced call completed exactly once.
std::string exactly_once(const CallTrace& t, const std::string& what) {
  if (!t.pending) return "";  // answered directly: nothing to complete
  if (!t.completed) return what + " was never completed";
  std::this_thread::sleep_for(kLateCompletionWait);
  int n = t.call ? t.call->completions() : 0;
  if (n != 1) return what + " was completed " + std::to_string(n) + " times";
  return "";
}

}  // namespace

void check_async(Report& r, PluginCache& c, const std::string& prefix) {
  if (!c.descriptor().async()) {
    r.skip("async completion", "synchronous plugin (no FIBD_CACHE_FEATURE_ASYNC)");
    r.skip("async cancellation", "synchronous plugin");
    return;
  }
  // Completion exactly once, for get and set, on whatever thread.
  {
    std::string value, error;
    CallTrace set_trace, get_trace, miss_trace;
    fibd_cache_status s =
        c.set_status(prefix + "async", "async value", kLongTtlMs, error, {}, &set_trace);
    std::string problem;
    if (s != FIBD_CACHE_OK) {
      problem = std::string("set returned ") + status_name(s) + ": " + error;
    }
    if (problem.empty()) problem = exactly_once(set_trace, "a set");
    if (problem.empty()) {
      s = c.get_status(prefix + "async", value, error, {}, &get_trace);
      if (s != FIBD_CACHE_HIT || value != "async value") {
        problem = std::string("get after set returned ") + status_name(s) + " " +
                  show(value) + (error.empty() ? "" : ": " + error);
      }
    }
    if (problem.empty()) problem = exactly_once(get_trace, "a get");
    if (problem.empty()) {
      s = c.get_status(prefix + "async-miss", value, error, {}, &miss_trace);
      if (s != FIBD_CACHE_NOT_FOUND) {
        problem = std::string("get of a missing key returned ") + status_name(s);
      }
    }
    if (problem.empty()) problem = exactly_once(miss_trace, "a get of a missing key");
    std::string where = !get_trace.pending           ? "answered directly"
                        : get_trace.completed_inline ? "completed before returning"
                                                     : "completed later";
    if (problem.empty()) {
      r.pass("async completion", "each call completed exactly once (" + where + ")");
    } else {
      r.fail("async completion", problem);
    }
  }
  // Cancellation: a deadline already past makes the host cancel at once;
  // the call must still complete exactly once (CANCELLED or its answer).
  {
    std::string problem;
    int cancelled = 0;
    for (int i = 0; i < 20 && problem.empty(); ++i) {
      std::string value, error;
      CallTrace t;
      CallOptions past;
      past.deadline = std::chrono::steady_clock::now();
      fibd_cache_status s =
          c.get_status(prefix + "cancel" + std::to_string(i), value, error, past, &t);
      if (s == FIBD_CACHE_ERROR) problem = "a cancelled get failed: " + error;
      if (problem.empty()) problem = exactly_once(t, "a cancelled get");
      if (t.cancelled && s == FIBD_CACHE_CANCELLED) ++cancelled;
    }
    if (problem.empty()) {
      r.pass("async cancellation",
             std::to_string(cancelled) +
                 " of 20 calls answered CANCELLED, every one completed exactly once");
    } else {
      r.fail("async cancellation", problem);
    }
  }
}

void check_stats(Report& r, PluginCache& c) {
  if (c.descriptor().stats == nullptr) {
    r.skip("stats", "not offered");
    return;
  }
  std::vector<std::pair<std::string, std::uint64_t>> stats;
  std::string error;
  fibd_cache_status s = c.stats(stats, error);
  if (s != FIBD_CACHE_OK) {
    r.fail("stats", std::string("returned ") + status_name(s) + ": " + error);
    return;
  }
  std::set<std::string> seen;
  std::string shown;
  for (const auto& [name, value] : stats) {
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    });
    if (!ok) {
      r.fail("stats", "counter name " + show(name) + " is not [a-z0-9_]+");
      return;
    }
    if (!seen.insert(name).second) {
      r.fail("stats", "counter " + name + " reported twice");
      return;
    }
    if (!shown.empty()) shown += " ";
    shown += name + "=" + std::to_string(value);
  }
  r.pass("stats", shown.empty() ? "(no counters)" : shown);
}

void check_threads(Report& r, PluginCache& c, const std::string& prefix,
                   unsigned threads) {
  if (!c.descriptor().thread_safe()) {
    r.skip("concurrent calls",
           "the plugin is not thread-safe; fibd serialises its calls");
    return;
  }
  constexpr int kIterations = 2000;
  constexpr int kKeys = 64;
  std::atomic<long> errors{0}, wrong{0}, hits{0};
  std::string first_problem;
  std::mutex problem_mu;
  auto note = [&](const std::string& p) {
    std::lock_guard<std::mutex> lock(problem_mu);
    if (first_problem.empty()) first_problem = p;
  };
  auto started = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        std::string key = prefix + "mt:" + std::to_string((t * 31 + i) % kKeys);
        std::string value = key + "|" + std::to_string(t) + "|" + std::to_string(i);
        std::string error, got;
        if (c.set_status(key, value, kLongTtlMs, error) != FIBD_CACHE_OK) {
          ++errors;
          note("set failed: " + error);
          continue;
        }
        fibd_cache_status s = c.get_status(key, got, error);
        if (s == FIBD_CACHE_ERROR) {
          ++errors;
          note("get failed: " + error);
        } else if (s == FIBD_CACHE_HIT) {
          ++hits;
          if (got.compare(0, key.size() + 1, key + "|") != 0) {
            ++wrong;
            note("get(" + show(key) + ") returned another key's value " + show(got));
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  long ops = static_cast<long>(threads) * kIterations * 2;
  std::string detail = std::to_string(threads) + " threads, " + std::to_string(ops) +
                       " calls in " + std::to_string(static_cast<int>(secs * 1000)) +
                       " ms, " + std::to_string(hits.load()) + " hits";
  if (errors == 0 && wrong == 0) {
    r.pass("concurrent calls", detail);
  } else {
    r.fail("concurrent calls", std::to_string(errors.load()) + " errors, " +
                                   std::to_string(wrong.load()) +
                                   " wrong values; first: " + first_problem);
  }
}

void check_unload(Report& r, std::shared_ptr<PluginCache> cache) {
  // The image must really leave memory, or a .so replaced on disk would never
  // run its new code after a reload.
  std::size_t pinned_before = PluginImage::pinned_count();
  cache.reset();
  if (PluginImage::pinned_count() != pinned_before) {
    r.fail("destroy and unload",
           "the image stayed in memory after dlclose (STB_GNU_UNIQUE symbols? build with "
           "-fno-gnu-unique; thread_local objects with destructors? -z nodelete?)");
  } else {
    r.pass("destroy and unload", "destroy() returned, image gone after dlclose");
  }
}

void check_unknown_option(Report& r, const PluginLoadRequest& request) {
  PluginLoadRequest bogus = request;
  bogus.options.emplace_back("fibd_plugin_check_unknown_option", "1");
  try {
    auto extra = load_plugin(bogus);
    extra.reset();
    r.warn("unknown option rejected",
           "create() accepted option 'fibd_plugin_check_unknown_option'");
  } catch (const CacheLoadError& e) {
    r.pass("unknown option rejected", e.what());
  }
}

}  // namespace fibd::plugin_check
