#include "base/cpu_budget.h"

#include <gtest/gtest.h>

#include <string>

namespace fibd {
namespace {

// tests/unit/fixtures/cgroup: a cgroup v2 tree of cpu.max files.
//   cpu.max                            250000 100000  (2.5 CPUs at the top)
//   system.slice/cpu.max               max 100000
//   system.slice/fibd.service/cpu.max  50000 100000   (CPUQuota=50%)
//   limited.slice/cpu.max              150000 100000
//   limited.slice/child.scope/cpu.max  max 100000
//   nolimit.slice/cpu.max              max 100000
const std::string kRoot = std::string(FIBD_SOURCE_DIR) + "/tests/unit/fixtures/cgroup";

TEST(CpuBudget, ParsesCpuMax) {
  EXPECT_EQ(parse_cpu_max("50000 100000\n"), 0.5);
  EXPECT_EQ(parse_cpu_max("200000 100000"), 2.0);
  EXPECT_EQ(parse_cpu_max("max 100000\n"), std::nullopt);
  for (const char* bad : {"", "\n", "100000", "abc 100000", "50000 abc", "0 100000",
                          "50000 0", "-5 100000", "50000  100000", "50000 100000 7"}) {
    EXPECT_EQ(parse_cpu_max(bad), std::nullopt) << bad;
  }
}

TEST(CpuBudget, QuotaOfTheServiceCgroup) {
  std::string where;
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "0::/system.slice/fibd.service\n", where), 0.5);
  EXPECT_EQ(where, kRoot + "/system.slice/fibd.service/cpu.max (50000 100000)");
}

TEST(CpuBudget, SmallestQuotaOnTheWayUp) {
  std::string where;
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "0::/limited.slice/child.scope\n", where), 1.5);
  EXPECT_EQ(where, kRoot + "/limited.slice/cpu.max (150000 100000)");
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "0::/nolimit.slice\n", where), 2.5);
}

TEST(CpuBudget, NoCgroupV2LineOrNoFiles) {
  std::string where;
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "4:memory:/x\n1:cpu:/\n", where), std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(kRoot + "/nowhere", "0::/system.slice\n", where),
            std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "0::/../../etc\n", where), std::nullopt);
  EXPECT_EQ(cgroup_cpu_quota(kRoot, "0::relative\n", where), std::nullopt);
}

TEST(CpuBudget, AffinityAndQuotaCombined) {
  EXPECT_EQ(cpu_budget(8, std::nullopt, "").cpus, 8u);
  EXPECT_EQ(cpu_budget(8, 0.5, "f").cpus, 1u);  // ceil, at least 1
  EXPECT_EQ(cpu_budget(8, 1.5, "f").cpus, 2u);
  EXPECT_EQ(cpu_budget(1, 2.5, "f").cpus, 1u);  // affinity is smaller
  EXPECT_EQ(cpu_budget(0, std::nullopt, "").cpus, 1u);
  const CpuBudget b = cpu_budget(4, 0.5, "/sys/fs/cgroup/x/cpu.max (50000 100000)");
  EXPECT_NE(b.why.find("4 CPUs in the affinity mask"), std::string::npos) << b.why;
  EXPECT_NE(b.why.find("quota 0.5 from /sys/fs/cgroup/x/cpu.max"), std::string::npos)
      << b.why;
}

TEST(CpuBudget, ThisProcessHasAtLeastOne) {
  const CpuBudget b = usable_cpus();
  EXPECT_GE(b.cpus, 1u);
  EXPECT_LE(b.cpus, b.affinity);
  EXPECT_FALSE(b.why.empty());
}

}  // namespace
}  // namespace fibd
