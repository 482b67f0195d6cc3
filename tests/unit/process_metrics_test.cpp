// The process_* collector against this process's own figures: getrusage,
// descriptors probed with fcntl, getrlimit and the clock at start-up.
#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace fibd {
namespace {

const double kStartedAt =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();

double rusage_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

void burn_cpu() {
  volatile unsigned long x = 0;
  const double until = rusage_cpu_seconds() + 0.2;
  while (rusage_cpu_seconds() < until) {
    for (int i = 0; i < 100000; ++i) x = x + static_cast<unsigned long>(i);
  }
}

int probe_open_fds() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  int open = 0;
  for (int fd = 0; fd < static_cast<int>(limit.rlim_cur) && fd < 65536; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) ++open;
  }
  return open;
}

TEST(ProcessMetrics, CpuSecondsAgreeWithGetrusage) {
  burn_cpu();
  const double before = rusage_cpu_seconds();
  const auto f = read_process_figures();
  const double after = rusage_cpu_seconds();
  ASSERT_TRUE(f);
  // /proc counts in clock ticks: allow one tick each side.
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_GE(f->cpu_seconds, before - 2 * tick);
  EXPECT_LE(f->cpu_seconds, after + 2 * tick);
  EXPECT_GT(f->cpu_seconds, 0.1);
}

TEST(ProcessMetrics, ResidentMemoryFollowsTouchedPages) {
  const auto before = read_process_figures();
  ASSERT_TRUE(before);
  std::vector<char> block(64 << 20);
  std::memset(block.data(), 1, block.size());
  const auto after = read_process_figures();
  ASSERT_TRUE(after);
  EXPECT_GE(after->resident_bytes - before->resident_bytes, 48.0 * (1 << 20));
  EXPECT_GE(after->virtual_bytes, after->resident_bytes);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  EXPECT_LE(after->resident_bytes, static_cast<double>(u.ru_maxrss) * 1024);
  EXPECT_EQ(block[block.size() / 2], 1);
}

TEST(ProcessMetrics, OpenFdsMatchTheDescriptorsInUse) {
  const auto before = count_open_fds();
  ASSERT_TRUE(before);
  EXPECT_EQ(*before, probe_open_fds());
  int pipes[2][2];
  ASSERT_EQ(pipe(pipes[0]), 0);
  ASSERT_EQ(pipe(pipes[1]), 0);
  EXPECT_EQ(*count_open_fds(), *before + 4);
  EXPECT_EQ(*count_open_fds(), probe_open_fds());
  for (auto& p : pipes) {
    close(p[0]);
    close(p[1]);
  }
  EXPECT_EQ(*count_open_fds(), *before);
}

TEST(ProcessMetrics, MaxFdsIsTheSoftLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_GT(saved.rlim_cur, 64u);
  rlimit lower = saved;
  lower.rlim_cur = saved.rlim_cur - 7;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
  const auto limit = max_fds();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(limit);
  EXPECT_EQ(*limit, static_cast<double>(saved.rlim_cur - 7));
}

TEST(ProcessMetrics, StartTimeIsWhenThisProcessStarted) {
  const auto f = read_process_figures();
  ASSERT_TRUE(f);
  // btime has whole seconds; the start is before this file's first
  // initialiser ran.
  EXPECT_LE(f->start_time_seconds, kStartedAt + 1.0);
  EXPECT_GE(f->start_time_seconds, kStartedAt - 60.0);
}

TEST(ProcessMetrics, ParsesStatWithParenthesesAndSpacesInComm) {
  const std::string line =
      "4242 (a) (b c)) S 1 2 3 4 5 6 7 8 9 10 300 200 0 0 20 0 3 0 5000 123456789 "
      "2048 18446744073709551615 1 1 0 0 0\n";
  const auto s = parse_proc_stat(line);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->utime, 300u);
  EXPECT_EQ(s->stime, 200u);
  EXPECT_EQ(s->starttime, 5000u);
  EXPECT_EQ(s->vsize, 123456789u);
  EXPECT_EQ(s->rss, 2048);
}

TEST(ProcessMetrics, RefusesMalformedStat) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("4242 no parentheses S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("4242 (short) S 1 2 3 4 5 6 7 8 9 10 300 200"));
  EXPECT_FALSE(
      parse_proc_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 3x0 200 0 0 20 0 3 0 5000 1 2 3\n"));
  EXPECT_FALSE(
      parse_proc_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 300 200 0 0 20 0 3 0 5000 1 -2 3\n"));
}

TEST(ProcessMetrics, BootTime) {
  EXPECT_EQ(parse_boot_time("cpu 1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"),
            1700000000u);
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\n"));
  EXPECT_FALSE(parse_boot_time("btime soon\n"));
  EXPECT_FALSE(parse_boot_time("btime 17 18\n"));
  EXPECT_FALSE(parse_boot_time("xbtime 17\n"));
}

TEST(ProcessMetrics, BootTimeFromTheClocksIsTheKernelsBtime) {
  // What fibd.service (ProcSubset=pid, no /proc/stat) reports instead.
  std::ifstream in("/proc/stat");
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  const auto btime = parse_boot_time(text);
  ASSERT_TRUE(btime) << "no btime in /proc/stat";
  const auto clocks = boot_time_from_clocks();
  ASSERT_TRUE(clocks);
  // btime is whole seconds, rounded down; a suspended machine's clocks
  // still agree (CLOCK_BOOTTIME counts the suspension).
  EXPECT_GE(*clocks, static_cast<double>(*btime) - 1.0);
  EXPECT_LT(*clocks, static_cast<double>(*btime) + 2.0);
}

TEST(ProcessMetrics, ExposedWithTheConventionalNamesAndTypes) {
  Metrics metrics;
  const std::string text = metrics.serialize();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n", "# TYPE process_open_fds gauge\n",
        "# TYPE process_max_fds gauge\n", "# TYPE process_start_time_seconds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_NE(text.find("\nprocess_open_fds "), std::string::npos);
}

}  // namespace
}  // namespace fibd
