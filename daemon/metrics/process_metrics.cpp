#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace fibd {

namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// The next space-separated field of `rest`, consumed.
std::string_view next_field(std::string_view& rest) {
  const std::size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const std::size_t end = std::min(rest.find(' '), rest.size());
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end);
  return field;
}

template <typename T>
bool to_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

prometheus::MetricFamily family(const char* name, const char* help,
                                prometheus::MetricType type, double value) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {m}};
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from its last ')'.
  const std::size_t close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) {
    rest.remove_suffix(1);
  }
  ProcStat s;
  // Field numbers of proc(5); state is field 3.
  for (int field = 3; field <= 24; ++field) {
    const std::string_view f = next_field(rest);
    if (f.empty()) return std::nullopt;
    bool ok = true;
    switch (field) {
      case 14:
        ok = to_number(f, s.utime);
        break;
      case 15:
        ok = to_number(f, s.stime);
        break;
      case 22:
        ok = to_number(f, s.starttime);
        break;
      case 23:
        ok = to_number(f, s.vsize);
        break;
      case 24:
        ok = to_number(f, s.rss) && s.rss >= 0;
        break;
      default:
        break;
    }
    if (!ok) return std::nullopt;
  }
  return s;
}

std::optional<unsigned long long> parse_boot_time(std::string_view proc_stat) {
  std::size_t at = 0;
  while (at < proc_stat.size()) {
    const std::size_t end = std::min(proc_stat.find('\n', at), proc_stat.size());
    std::string_view line = proc_stat.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, 6) != "btime ") continue;
    line.remove_prefix(6);
    unsigned long long value = 0;
    if (to_number(next_field(line), value) && next_field(line).empty()) return value;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> boot_time_from_clocks() {
  timespec real{};
  timespec since_boot{};
  if (::clock_gettime(CLOCK_REALTIME, &real) != 0 ||
      ::clock_gettime(CLOCK_BOOTTIME, &since_boot) != 0)
    return std::nullopt;
  return static_cast<double>(real.tv_sec - since_boot.tv_sec) +
         static_cast<double>(real.tv_nsec - since_boot.tv_nsec) / 1e9;
}

std::optional<ProcessFigures> read_process_figures() {
  const std::optional<std::string> stat = read_file("/proc/self/stat");
  if (!stat) return std::nullopt;
  const std::optional<ProcStat> s = parse_proc_stat(*stat);
  // /proc/stat is hidden from fibd.service (ProcSubset=pid): the clocks
  // tell the boot time then.
  std::optional<double> boot;
  if (const std::optional<std::string> system = read_file("/proc/stat")) {
    if (const auto btime = parse_boot_time(*system)) boot = static_cast<double>(*btime);
  }
  if (!boot) boot = boot_time_from_clocks();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (!s || !boot || ticks <= 0 || page <= 0) return std::nullopt;
  const auto hz = static_cast<double>(ticks);
  ProcessFigures f;
  f.cpu_seconds = static_cast<double>(s->utime + s->stime) / hz;
  f.resident_bytes = static_cast<double>(s->rss) * static_cast<double>(page);
  f.virtual_bytes = static_cast<double>(s->vsize);
  f.start_time_seconds = *boot + static_cast<double>(s->starttime) / hz;
  return f;
}

std::optional<double> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own descriptor
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  return static_cast<double>(limit.rlim_cur);
}

void append_process_families(std::vector<prometheus::MetricFamily>& families) {
  using prometheus::MetricType;
  if (const std::optional<ProcessFigures> f = read_process_figures()) {
    families.push_back(family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              MetricType::Counter, f->cpu_seconds));
    families.push_back(family("process_resident_memory_bytes",
                              "Resident memory size in bytes.", MetricType::Gauge,
                              f->resident_bytes));
    families.push_back(family("process_virtual_memory_bytes",
                              "Virtual memory size in bytes.", MetricType::Gauge,
                              f->virtual_bytes));
    families.push_back(family("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              MetricType::Gauge, f->start_time_seconds));
  }
  if (const std::optional<double> open = count_open_fds()) {
    families.push_back(family("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, *open));
  }
  if (const std::optional<double> limit = max_fds()) {
    families.push_back(family("process_max_fds",
                              "Maximum number of open file descriptors.",
                              MetricType::Gauge, *limit));
  }
}

}  // namespace fibd
