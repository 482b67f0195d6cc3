#include "base/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

namespace fibd {

namespace {

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

bool parse_u64(std::string_view text, unsigned long long& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string format_cpus(double cpus) {
  std::ostringstream out;
  out << cpus;
  return out.str();
}

}  // namespace

std::optional<double> parse_cpu_max(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota = text.substr(0, space);
  const std::string_view period = text.substr(space + 1);
  unsigned long long q = 0, p = 0;
  if (quota == "max" || !parse_u64(quota, q) || !parse_u64(period, p))
    return std::nullopt;
  if (q == 0 || p == 0) return std::nullopt;
  return static_cast<double>(q) / static_cast<double>(p);
}

std::optional<double> cgroup_cpu_quota(const std::string& cgroup_root,
                                       std::string_view proc_self_cgroup,
                                       std::string& where) {
  // cgroup v2: the one line "0::/path". (v1 hierarchies are not looked at.)
  std::string_view rest = proc_self_cgroup;
  std::string_view path;
  bool found = false;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.starts_with("0::")) {
      path = line.substr(3);
      found = true;
    }
  }
  if (!found || !path.starts_with("/") || path.find("/..") != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<double> smallest;
  std::string dir(path);
  while (true) {
    const std::string file = cgroup_root + (dir == "/" ? "" : dir) + "/cpu.max";
    if (auto text = read_small_file(file)) {
      if (auto quota = parse_cpu_max(*text); quota && (!smallest || *quota < *smallest)) {
        smallest = quota;
        where = file + " (" + text->substr(0, text->find('\n')) + ")";
      }
    }
    if (dir == "/") break;
    const auto slash = dir.find_last_of('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  return smallest;
}

CpuBudget cpu_budget(unsigned affinity, std::optional<double> quota,
                     const std::string& where) {
  CpuBudget b;
  b.affinity = std::max(1u, affinity);
  b.quota = quota;
  b.cpus = b.affinity;
  b.why = std::to_string(b.affinity) + " CPUs in the affinity mask";
  if (quota) {
    const double rounded = std::ceil(*quota);
    const unsigned by_quota =
        rounded < 1 ? 1u : static_cast<unsigned>(std::min(rounded, 65536.0));
    b.why += ", cgroup CPU quota " + format_cpus(*quota) + " from " + where;
    if (by_quota < b.cpus) {
      b.cpus = by_quota;
      b.why += ": the quota rounded up decides";
    }
  } else {
    b.why += ", no cgroup CPU quota";
  }
  return b;
}

CpuBudget usable_cpus() {
  unsigned affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    affinity = static_cast<unsigned>(CPU_COUNT(&set));
  if (affinity == 0) affinity = std::max(1u, std::thread::hardware_concurrency());
  std::string where;
  std::optional<double> quota;
  if (auto self = read_small_file("/proc/self/cgroup")) {
    quota = cgroup_cpu_quota("/sys/fs/cgroup", *self, where);
  }
  return cpu_budget(affinity, quota, where);
}

}  // namespace fibd
