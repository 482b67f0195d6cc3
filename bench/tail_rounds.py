"""The tail in every round (issue 22): fibd's c64 p99 and c1 p50 against
nginx's, round by round, from the interleaved runs of the HTTP scenarios
(fibdbench.Suite.http_vs_nginx), as a table for the report."""

C64 = "memory-hit c64 vs nginx"
C1 = "memory-hit c1 vs nginx"
TARGETS = {"p99_us": 1.5, "p50_us": 1.0}


def tail_section(raw):
    """Markdown for the per-round latencies, or None without those runs."""
    if C64 not in raw or C1 not in raw:
        return None
    width = max(len(raw[C64]["a"]), len(raw[C1]["a"]))

    def line(label, cells):
        cells = list(cells) + [""] * (width - len(cells))
        return f"| {label} | " + " | ".join(cells) + " |"

    lines = [line("round", [str(i + 1) for i in range(width)]), "|---|" + "---|" * width]
    worst = []
    for name, key, label in ((C64, "p99_us", "c64 p99"), (C1, "p50_us", "c1 p50")):
        a, b = raw[name]["a"], raw[name]["b"]
        ratios = [x[key] / y[key] for x, y in zip(a, b)]
        worst.append(f"{label} worst round {max(ratios):.2f}× nginx's "
                     f"(round {ratios.index(max(ratios)) + 1})")
        lines += [line(f"fibd {label}, ms", [f"{x[key] / 1000:.2f}" for x in a]),
                  line(f"nginx {label}, ms", [f"{y[key] / 1000:.2f}" for y in b]),
                  line(f"{label} ratio", [f"**{r:.2f}×**" if r > TARGETS[key] else f"{r:.2f}×"
                                          for r in ratios])]
        # Beside each round, what might have made it bad (absent in old results).
        if all("preempt_per_kreq" in x for x in a + b):
            lines += [line(f"{label} run: fibd / nginx preemptions per 1k requests",
                           [f"{x['preempt_per_kreq']:.1f} / {y['preempt_per_kreq']:.1f}"
                            for x, y in zip(a, b)]),
                      line(f"{label} run: other CPU % (wrk, rest) fibd's / nginx's",
                           [f"{x['others_cpu_pct']:.0f} / {y['others_cpu_pct']:.0f}"
                            for x, y in zip(a, b)]),
                      line(f"{label} run: steal % fibd's / nginx's",
                           [f"{x['steal_pct']:.1f} / {y['steal_pct']:.1f}"
                            for x, y in zip(a, b)])]
    return "\n".join([f"The tail in every round, memory hits of `/fib/90` against nginx "
                      f"(ratios over the target in bold: c64 p99 ≤ 1.5×, c1 p50 ≤ 1.0×): "
                      f"{'; '.join(worst)}.", ""] + lines)
