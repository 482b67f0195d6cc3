// fibd-plugin-check: runs the cache plugin contract against a .so, through
// the very loader fibd uses, and prints a PASS/FAIL report.
//
//   fibd-plugin-check PLUGIN.so [--factory SYM] [--option KEY=VALUE]...
//                     [--no-trust-check] [--threads N] [--timeout S]
//                     [--oldest-host] [--verbose]
//
// Exit status: 0 when every check passes, 1 when any fails, 2 on usage errors.
// Every check runs in a child process on a fresh instance (isolation.h): a
// plugin that crashes or hangs fails that check, naming the entry point.
// Options reach create() further apart than sizeof(fibd_cache_option), with
// poison in between, so that indexing config->options[i] fails here.
// It writes and deletes keys prefixed "fibd-plugin-check:<random>:" and, when
// the plugin offers clear(), clears the cache: point it at a scratch backend.
#include <getopt.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <random>
#include <string>

#include "contract_checks.h"
#include "entry_points.h"
#include "isolation.h"
#include "plugin_host/cache_factory.h"
#include "plugin_host/descriptor_layout.h"
#include "report.h"

namespace {

using fibd::PluginCache;
using namespace fibd::plugin_check;
using Clock = std::chrono::steady_clock;

// Options are this far apart in every create() the checker makes.
constexpr std::uint32_t kOptionSize = 2 * sizeof(fibd_cache_option);

struct Options {
  fibd::PluginLoadRequest request;
  unsigned threads = 8;
  std::chrono::seconds timeout{120};
  bool verbose = false;
};

void usage(std::ostream& out) {
  out << "usage: fibd-plugin-check PLUGIN.so [--factory SYM] [--option KEY=VALUE]...\n"
         "                         [--no-trust-check] [--threads N] [--verbose]\n"
         "Runs the fibd cache plugin contract against PLUGIN.so and reports PASS/FAIL.\n"
         "  --factory SYM       exported factory symbol "
         "(default " FIBD_CACHE_DEFAULT_FACTORY
         ")\n"
         "  --option KEY=VALUE  a plugin option, as in cache.options (repeatable)\n"
         "  --no-trust-check    skip the file ownership/permission check\n"
         "  --threads N         threads for the concurrency check (default 8)\n"
         "  --timeout S         seconds one check may take (default 120)\n"
         "  --oldest-host       present the oldest version 2 host: host and call\n"
         "                      structures end before their optional fields\n"
         "  --verbose           show the plugin's debug log lines\n"
         "Exit status: 0 all checks passed, 1 a check failed, 2 usage error.\n"
         "Keys written start with \"fibd-plugin-check:\"; clear() is called if "
         "offered.\n";
}

// A whole number from 1 to `max`, all of `text`.
bool parse_count(const char* text, unsigned long max, unsigned long& out) {
  char* end = nullptr;
  out = std::strtoul(text, &end, 10);
  return *text != '\0' && *end == '\0' && out != 0 && out <= max;
}

int parse_args(int argc, char** argv, Options& o) {
  static const option longopts[] = {{"factory", required_argument, nullptr, 'f'},
                                    {"option", required_argument, nullptr, 'o'},
                                    {"no-trust-check", no_argument, nullptr, 'n'},
                                    {"threads", required_argument, nullptr, 't'},
                                    {"timeout", required_argument, nullptr, 'T'},
                                    {"oldest-host", no_argument, nullptr, 'O'},
                                    {"verbose", no_argument, nullptr, 'v'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  int c;
  unsigned long n = 0;
  while ((c = getopt_long(argc, argv, "f:o:t:vh", longopts, nullptr)) != -1) {
    switch (c) {
      case 'f':
        o.request.factory = optarg;
        break;
      case 'o': {
        std::string kv = optarg;
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
          std::cerr << "fibd-plugin-check: --option wants KEY=VALUE, got '" << kv
                    << "'\n";
          return 2;
        }
        o.request.options.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        break;
      }
      case 'n':
        o.request.trust_check = false;
        break;
      case 't':
        if (!parse_count(optarg, 256, n)) {
          std::cerr << "fibd-plugin-check: --threads wants 1..256\n";
          return 2;
        }
        o.threads = static_cast<unsigned>(n);
        break;
      case 'T':
        if (!parse_count(optarg, 3600, n)) {
          std::cerr << "fibd-plugin-check: --timeout wants 1..3600 seconds\n";
          return 2;
        }
        o.timeout = std::chrono::seconds(n);
        break;
      case 'O':
        o.request.shape.oldest_v2 = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'h':
        usage(std::cout);
        std::exit(0);
      default:
        usage(std::cerr);
        return 2;
    }
  }
  if (optind != argc - 1) {
    usage(std::cerr);
    return 2;
  }
  o.request.path = argv[optind];
  o.request.default_ttl = std::chrono::milliseconds(kLongTtlMs);
  o.request.shape.option_size = kOptionSize;
  return 0;
}

std::string random_prefix() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return std::string("fibd-plugin-check:") + buf + ":";
}

// The request of one check's child: the entry points traced into `state`.
fibd::PluginLoadRequest traced(const fibd::PluginLoadRequest& request,
                               ChildState& state) {
  fibd::PluginLoadRequest r = request;
  r.adjust_descriptor = [&state](fibd::PluginDescriptor& d) {
    trace_entry_points(d, state.running);
  };
  return r;
}

// The load, and what the descriptor looks like as the factory returned it.
void check_load(Report& r, ChildState& state, const Options& o) {
  std::vector<std::string> hints, shared;
  fibd::PluginLoadRequest request = traced(o.request, state);
  request.inspect_descriptor = [&](const fibd_cache_descriptor& d) {
    if (d.abi_version != FIBD_CACHE_ABI_VERSION) return;
    hints = fibd::layout_hints(d);
    shared = fibd::shared_entry_points(d);
  };
  std::shared_ptr<PluginCache> cache;
  auto started = Clock::now();
  try {
    cache = fibd::load_plugin(request);
  } catch (const std::exception& e) {
    r.fail("load", e.what());
    return;
  }
  auto load_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const fibd::PluginDescriptor& d = cache->descriptor();
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.2f ms", load_ms);
  std::string optional;
  if (d.del) optional += " del";
  if (d.clear) optional += " clear";
  if (d.stats) optional += " stats";
  r.pass("load", d.name + " " + d.version + ", capabilities: " +
                     fibd::describe_capabilities(d.capabilities, d.required_features) +
                     ", optional:" + (optional.empty() ? " none" : optional) + ", " + ms +
                     (o.request.shape.oldest_v2 ? ", oldest version 2 host" : ""));
  if (!shared.empty()) {
    std::string pairs;
    for (const auto& p : shared) pairs += (pairs.empty() ? "" : "; ") + p;
    r.fail("descriptor", "entry points with the same address: " + pairs +
                             " (one function cannot be two entry points: a copied or "
                             "shifted initializer?)");
  } else if (!hints.empty()) {
    std::string all;
    for (const auto& h : hints) all += (all.empty() ? "" : "; ") + h;
    r.warn("descriptor", all);
  } else {
    r.pass("descriptor", "entry points distinct, no sign of another ABI's layout");
  }
  cache.reset();
  state.loaded = true;
}

// One check on a fresh instance; nullptr `run` for the checks that load
// the plugin themselves.
struct Check {
  const char* name;  // what a crash or a hang is reported as
  std::function<void(Report&, std::shared_ptr<PluginCache>&)> run;
};

std::vector<Check> checks(const Options& o, const std::string& p) {
  auto on = [&p](void (*f)(Report&, PluginCache&, const std::string&)) {
    return [f, &p](Report& r, std::shared_ptr<PluginCache>& c) { f(r, *c, p); };
  };
  return {
      {"miss on a key never set", on(check_miss)},
      {"set then hit", on(check_set_hit)},
      {"overwrite", on(check_overwrite)},
      {"empty value", on(check_empty_value)},
      {"TTL expiry", on(check_ttl)},
      {"delete", on(check_delete)},
      {"clear", on(check_clear)},
      {"1 MiB value", on(check_big_value)},
      {"binary-safe keys and values", on(check_binary)},
      {"concurrent calls",
       [&](Report& r, std::shared_ptr<PluginCache>& c) {
         check_threads(r, *c, p, o.threads);
       }},
      {"async completion and cancellation", on(check_async)},
      {"async calls on an event loop", on(check_loop_calls)},
      {"stats", [](Report& r, std::shared_ptr<PluginCache>& c) { check_stats(r, *c); }},
      {"destroy and unload",
       [](Report& r, std::shared_ptr<PluginCache>& c) { check_unload(r, std::move(c)); }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int rc = parse_args(argc, argv, o)) return rc;

  spdlog::set_pattern("      log %l: %v");
  spdlog::set_level(o.verbose ? spdlog::level::trace : spdlog::level::info);
  Report r;
  std::cout << "fibd-plugin-check " << FIBD_VERSION << " (cache plugin ABI "
            << FIBD_CACHE_ABI_VERSION << "): " << o.request.path << "\n\n";

  const std::string create_hint =
      "if it reads options: they are " + std::to_string(kOptionSize) +
      " bytes apart here, and reading config->options[i] instead of "
      "fibd_cache_option_at(config, i) faults";
  if (!run_isolated(r, "load", o.timeout, create_hint,
                    [&](Report& cr, ChildState& st) { check_load(cr, st, o); })) {
    return r.finish();
  }
  const std::string p = random_prefix();
  for (const Check& check : checks(o, p)) {
    run_isolated(r, check.name, o.timeout, create_hint, [&](Report& cr, ChildState& st) {
      // The load check showed the load's log lines once.
      if (!o.verbose) spdlog::set_level(spdlog::level::warn);
      auto cache = fibd::load_plugin(traced(o.request, st));
      check.run(cr, cache);
      cache.reset();
    });
  }
  run_isolated(r, "unknown option rejected", o.timeout, create_hint,
               [&](Report& cr, ChildState& st) {
                 if (!o.verbose) spdlog::set_level(spdlog::level::warn);
                 check_unknown_option(cr, traced(o.request, st));
               });
  return r.finish();
}
