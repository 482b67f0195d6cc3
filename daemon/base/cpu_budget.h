// How many CPUs fibd may really use: the CPUs of its affinity mask
// (taskset, systemd CPUAffinity=), capped by its cgroup v2 CPU quota
// (cpu.max, systemd CPUQuota=) rounded up, at least 1. Event loops and
// `workers: 0` are sized from it, as container-aware runtimes do (Go 1.25's
// GOMAXPROCS), not from the CPUs of the machine.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fibd {

struct CpuBudget {
  unsigned cpus = 1;            // what to size thread pools by
  unsigned affinity = 1;        // CPUs in the affinity mask
  std::optional<double> quota;  // cgroup quota in CPUs, if any
  std::string why;              // for the log: what decided, and from where
};

// The contents of a cgroup v2 cpu.max file ("QUOTA PERIOD" or "max PERIOD")
// as CPUs; nullopt for "max" (no limit) or anything malformed.
std::optional<double> parse_cpu_max(std::string_view text);

// The smallest quota on the way from the process's cgroup (named by the
// "0::/path" line of /proc/self/cgroup, given as `proc_self_cgroup`) up to
// `cgroup_root` (/sys/fs/cgroup); `where` is set to the cpu.max file that
// sets it.
std::optional<double> cgroup_cpu_quota(const std::string& cgroup_root,
                                       std::string_view proc_self_cgroup,
                                       std::string& where);

// Combines the two as described above.
CpuBudget cpu_budget(unsigned affinity, std::optional<double> quota,
                     const std::string& where);

// This process's budget now (sched_getaffinity, /proc/self/cgroup,
// /sys/fs/cgroup).
CpuBudget usable_cpus();

}  // namespace fibd
