// The standard process_* metrics every official Prometheus client library
// exposes (prometheus-cpp has no process collector on bookworm or trixie),
// read from /proc/self, getrlimit and the kernel's boot time at each scrape.
// Nothing beyond /proc/self is needed: the unit's ProcSubset=pid hides the
// rest of /proc.
#pragma once

#include <prometheus/metric_family.h>

#include <optional>
#include <string_view>
#include <vector>

namespace fibd {

struct ProcessFigures {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// The fields of /proc/[pid]/stat that the figures come from: utime, stime,
// starttime (clock ticks), vsize (bytes) and rss (pages). Nothing on a line
// that does not have them all.
struct ProcStat {
  unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
  long long rss = 0;
};
std::optional<ProcStat> parse_proc_stat(std::string_view line);
// The "btime" line of /proc/stat: the boot time in seconds since the epoch.
std::optional<unsigned long long> parse_boot_time(std::string_view proc_stat);
// The same from CLOCK_REALTIME less CLOCK_BOOTTIME, where /proc/stat cannot
// be read (fibd.service has ProcSubset=pid).
std::optional<double> boot_time_from_clocks();

std::optional<ProcessFigures> read_process_figures();
// Open descriptors of this process (entries of /proc/self/fd, without the
// one that reads it); nothing when it cannot be read.
std::optional<double> count_open_fds();
// The soft RLIMIT_NOFILE; nothing when unlimited.
std::optional<double> max_fds();

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds
// and process_max_fds, with the Go client's help texts. A figure that cannot
// be read is left out rather than shown as 0.
void append_process_families(std::vector<prometheus::MetricFamily>& families);

}  // namespace fibd
