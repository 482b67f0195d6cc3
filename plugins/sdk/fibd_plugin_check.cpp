// fibd-plugin-check: runs the cache plugin contract against a .so, through
// the very loader fibd uses, and prints a PASS/FAIL report.
//
//   fibd-plugin-check PLUGIN.so [--factory SYM] [--option KEY=VALUE]...
//                     [--no-trust-check] [--threads N] [--verbose]
//
// Exit status: 0 when every check passes, 1 when any fails, 2 on usage errors.
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
#include "plugin_host/cache_factory.h"
#include "report.h"

namespace {

using fibd::PluginCache;
using namespace fibd::plugin_check;
using Clock = std::chrono::steady_clock;

struct Options {
  fibd::PluginLoadRequest request;
  unsigned threads = 8;
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
         "  --verbose           show the plugin's debug log lines\n"
         "Exit status: 0 all checks passed, 1 a check failed, 2 usage error.\n"
         "Keys written start with \"fibd-plugin-check:\"; clear() is called if "
         "offered.\n";
}

int parse_args(int argc, char** argv, Options& o) {
  static const option longopts[] = {{"factory", required_argument, nullptr, 'f'},
                                    {"option", required_argument, nullptr, 'o'},
                                    {"no-trust-check", no_argument, nullptr, 'n'},
                                    {"threads", required_argument, nullptr, 't'},
                                    {"verbose", no_argument, nullptr, 'v'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  int c;
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
      case 't': {
        char* end = nullptr;
        unsigned long n = std::strtoul(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || n == 0 || n > 256) {
          std::cerr << "fibd-plugin-check: --threads wants 1..256\n";
          return 2;
        }
        o.threads = static_cast<unsigned>(n);
        break;
      }
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
  return 0;
}

std::string random_prefix() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return std::string("fibd-plugin-check:") + buf + ":";
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

  std::shared_ptr<PluginCache> cache;
  auto started = Clock::now();
  try {
    cache = fibd::load_plugin(o.request);
  } catch (const std::exception& e) {
    r.fail("load", e.what());
    return r.finish();
  }
  auto load_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  const fibd::PluginDescriptor& d = cache->descriptor();
  {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.2f ms", load_ms);
    std::string optional;
    if (d.del) optional += " del";
    if (d.clear) optional += " clear";
    if (d.stats) optional += " stats";
    r.pass("load", d.name + " " + d.version + ", capabilities: " +
                       fibd::describe_capabilities(d.capabilities, d.required_features) +
                       ", optional:" + (optional.empty() ? " none" : optional) + ", " +
                       ms);
  }
  const std::string p = random_prefix();
  check_calls(r, *cache, p);
  check_threads(r, *cache, p, o.threads);
  check_async(r, *cache, p);
  check_loop_calls(r, *cache, p);
  check_stats(r, *cache);
  check_unload(r, std::move(cache));
  check_unknown_option(r, o.request);
  return r.finish();
}
