#!/usr/bin/python3
"""profiling.modes: every demo target in every mode over real sockets, with known answers.

Against perfbus-demo (an application linking libperfbus): the 70/30 target's
split under wall-clock (1 kHz) and CPU-clock sampling, equal shares for two
threads doing equal work, exact tracing call counts, recursion not counted
twice in cumtime, the allocation in peak RSS and the file I/O in write bytes
(detailed), and the overhead ratios of sampling and tracing on the 70/30
target measured in one run. Prints the figures it measured.
"""

import pbtest
from profdemo import MIB, SPLIT_PAIRS, FIB_N, Demo, by_name, fib_calls, median

TARGETS = ["split", "fib", "threads", "memory", "io", "sleep"]
MODES = ["sampling", "tracing", "detailed"]


def check_every_target(r, demo):
    for target in TARGETS:
        for mode in MODES:
            rep = demo.profile_done(target, mode, runs=1)
            ok = rep.get("ok") and rep.get("state") == "done" and mode in rep
            r.check(ok, f"{target} in {mode} mode gives a result", str(rep)[:300])
            if not ok:
                continue
            r.check(rep["runs_done"] == 1 and len(rep["run_wall_s"]) == 1,
                    f"{target}/{mode}: one run reported", str(rep["run_wall_s"]))
            r.check(rep["target"] == target and rep["mode"] == mode, f"{target}/{mode}: echoed")


# Each sample lands in split_a with probability 0.7 (binomial; measured spread
# across repeated profiles matches sqrt(p(1-p)/n) on both clocks), so the
# honest bound on a share follows from the sample count. 4.5 standard
# deviations: a false failure once in ~150 000 checks, however loaded the
# machine. The fixed +-3 of old was 2.5 sd at the ~1450 samples of one
# profile of 6 runs and failed about once in 80; pooling profiles until the
# 4.5 sd bound is 10 % under the old tolerance keeps it stricter than it was.
SPLIT_SD = 4.5


def split_bound(n):
    """Percentage points around 70 (and 30) a share of n samples stays within."""
    return SPLIT_SD * 100 * (0.7 * 0.3 / max(1, n)) ** 0.5


def s_split_counts(s):
    """(split_a samples, split_b samples, all samples) of one sampling result."""
    n = s.get("samples_received", 0)
    fns = by_name(s.get("functions", []))
    return [round(fns.get(f, {}).get("self_pct", 0) * n / 100) for f in ("split_a", "split_b")] + [n]


def check_split(r, demo, clock, hz, at_most):
    """Profiles of 6 runs, pooled until the bound is a tenth tighter than
    at_most (the fixed tolerance of old). The stopping rule looks at the
    sample count only, never at the share, so it does not bias the share; a
    loaded machine just takes more profiles (each stays inside its budget)."""
    want = SPLIT_SD**2 * 100**2 * 0.21 / (0.9 * at_most) ** 2
    first, pooled, profiles = None, [0, 0, 0], 0
    while pooled[2] < want and profiles < 12:
        rep = demo.profile_done("split", "sampling", runs=6, clock=clock, hz=hz, max_seconds=60)
        first = first or rep
        pooled = [x + y for x, y in zip(pooled, s_split_counts(rep.get("sampling", {})))]
        profiles += 1
    n = pooled[2]
    a, b = (100 * k / max(1, n) for k in pooled[:2])
    bound = split_bound(n)
    s = first.get("sampling", {})
    fns = by_name(s.get("functions", []))
    print(f"70/30 split, {clock} clock at {hz} Hz: split_a {a:.2f} %, split_b {b:.2f} % "
          f"({n} samples in {profiles} profiles of 6 runs, bound +- {bound:.2f}; first: "
          f"{s.get('samples_received')} of {s.get('samples_expected')} expected, effective "
          f"{s.get('hz_effective', 0):.0f} Hz, {s.get('unwind_truncated')} truncated, "
          f"{s.get('frames_unnamed')} unnamed frames)")
    r.check(bound <= at_most, f"{clock} {hz} Hz: enough samples for a bound of at most +- {at_most}",
            f"{n} samples in {profiles} profiles: +- {bound:.2f}")
    r.check(abs(a - 70) <= bound, f"{clock} {hz} Hz: split_a within 70 +- {SPLIT_SD} sd",
            f"{a:.2f} (+- {bound:.2f})")
    r.check(abs(b - 30) <= bound, f"{clock} {hz} Hz: split_b within 30 +- {SPLIT_SD} sd",
            f"{b:.2f} (+- {bound:.2f})")
    ci = fns.get("split_a", {}).get("self_ci_pct", [0, 0])
    own = fns.get("split_a", {}).get("self_pct", -1)  # the first profile's, not the pooled share
    r.check(ci[0] <= own <= ci[1] and ci[1] - ci[0] < 15, f"{clock}: split_a has a 95 % interval",
            f"{own:.2f} in {ci}")
    r.check(fns.get("target_split", {}).get("total_pct", 0) > 99,
            f"{clock}: every sample is under target_split", str(fns.get("target_split")))
    r.check(fns.get("split_a", {}).get("file", "").endswith("perfbus_demo.c") and
            fns["split_a"].get("line", 0) > 0, f"{clock}: split_a has file:line",
            str(fns.get("split_a")))
    # a sample may land in a PLT stub (no symbol) or a frameless libc leaf
    n = max(1, s.get("samples_received", 0))
    r.check(s.get("unwind_truncated", n) <= n / 100 and
            s.get("frames_unnamed", n) <= s.get("frames", 0) / 100,
            f"{clock}: stacks unwind to the target and frames are named (>= 99 %)", str(s)[:300])
    folded = {f["stack"]: f["count"] for f in s.get("folded", [])}
    r.check(folded.get("target_split;split_a", 0) > folded.get("target_split;split_b", 0) > 0,
            f"{clock}: folded stacks root;leaf", str(list(folded.items())[:4]))
    return s


def check_rates(r, wall, cpu):
    # per second the thread actually ran: other load on the machine only
    # lowers the rate per wall second, which hz_effective reports honestly
    per_cpu = wall.get("samples_received", 0) / max(1e-9, wall.get("cpu_s", 0))
    r.check(per_cpu >= 700, "wall clock reaches ~1 kHz of running time", f"{per_cpu:.0f}")
    r.check(cpu.get("hz_effective", 1e9) <= 260, "CPU clock is bounded by the 250 Hz tick",
            str(cpu.get("hz_effective")))
    got, want = wall.get("samples_received", 0), wall.get("samples_expected", 0)
    r.check(0 < got <= want * 1.1, "wall: received vs expected reported", f"{got}/{want}")


def check_threads(r, demo):
    rep = demo.profile_done("threads", "sampling", runs=4, clock="cpu", hz=250, max_seconds=60)
    s = rep.get("sampling", {})
    fns = by_name(s.get("functions", []))
    left = fns.get("work_left", {}).get("total_pct", 0)
    right = fns.get("work_right", {}).get("total_pct", 0)
    print(f"two equal threads: work_left {left:.2f} %, work_right {right:.2f} % "
          f"({s.get('samples_received')} samples, {s.get('threads')} threads)")
    # 3 standard deviations of the difference of two binomial shares, at least 4 points
    n = max(1, s.get("samples_received", 0))
    tolerance = max(4.0, 300 * (0.5 / n) ** 0.5)
    r.check(abs(left - right) <= tolerance and left + right >= 95,
            "two threads doing equal work get equal shares",
            f"{left:.2f} vs {right:.2f} (tolerance {tolerance:.1f})")
    r.check(s.get("threads", 0) >= 3, "worker and both joined threads sampled", str(s.get("threads")))
    rep = demo.profile_done("threads", "tracing", runs=2)
    fns = by_name(rep.get("tracing", {}).get("functions", []))
    r.check(fns.get("work_left", {}).get("ncalls") == 2 and
            fns.get("work_right", {}).get("ncalls") == 2,
            "tracing sees the joined threads' calls", str(list(fns)[:6]))


def s_tottime_share(fns):
    a = fns.get("split_a", {}).get("tottime_s", 0)
    return a / max(1e-9, a + fns.get("split_b", {}).get("tottime_s", 0))


def check_tracing(r, demo):
    runs = 3
    rep = demo.profile_done("split", "tracing", runs=runs)
    t = rep.get("tracing", {})
    fns = by_name(t.get("functions", []))
    for name in ("split_a", "split_b"):
        r.check(fns.get(name, {}).get("ncalls") == SPLIT_PAIRS * runs,
                f"tracing: {name} ncalls is exactly {SPLIT_PAIRS * runs}", str(fns.get(name)))
    r.check(fns.get("target_split", {}).get("ncalls") == runs, "tracing: target ncalls = runs")
    shares = [s_tottime_share(fns)]
    # TSC time is wall time: a preemption by other load lands whole in whatever
    # runs, so one profile on a loaded machine can be skewed; the same bound on
    # the median of three profiles needs two of them skewed at once
    for _ in range(2):
        again = demo.profile_done("split", "tracing", runs=runs)
        shares.append(s_tottime_share(by_name(again.get("tracing", {}).get("functions", []))))
    share = median(shares)
    print(f"tracing 70/30: split_a tottime share {100 * share:.2f} % (median of "
          f"{', '.join(f'{100 * x:.2f}' for x in shares)}), hook "
          f"{t.get('hook_ns_per_call', 0):.1f} ns per call, {t.get('calls')} calls")
    r.check(abs(100 * share - 70) <= 6, "tracing: tottime split is about 70/30",
            f"{100 * share:.2f}")
    r.check(0 < t.get("hook_ns_per_call", 0) < 100, "tracing: hook cost measured",
            str(t.get("hook_ns_per_call")))
    rep = demo.profile_done("fib", "tracing", runs=2)
    fns = by_name(rep.get("tracing", {}).get("functions", []))
    fib, top = fns.get("demo_fib", {}), fns.get("target_fib", {})
    want = fib_calls(FIB_N) * 2
    r.check(fib.get("ncalls") == want and fib.get("primcalls") == 2,
            f"recursion: demo_fib ncalls {want}, primcalls 2", str(fib))
    r.check(0 < fib.get("cumtime_s", 0) <= top.get("cumtime_s", 0) * 1.0001,
            "recursion: demo_fib cumtime not double-counted (<= its caller's)",
            f"{fib.get('cumtime_s')} vs {top.get('cumtime_s')}")
    r.check(abs(fib.get("tottime_s", 0) - fib.get("cumtime_s", 1)) <= 0.05 * fib.get("cumtime_s", 1),
            "recursion: demo_fib tottime ~ cumtime (it calls only itself)", str(fib))


def check_detailed(r, demo):
    rep = demo.profile_done("memory", "detailed", runs=2)
    d = rep.get("detailed", {})
    runs = d.get("runs", [])
    for i, run in enumerate(runs):
        grew = run["rss_peak_bytes"] - run["rss_before_bytes"]
        print(f"memory run {i}: RSS before {run['rss_before_bytes'] / MIB:.1f} MiB, peak "
              f"{run['rss_peak_bytes'] / MIB:.1f} MiB ({run['rss_peak_source']}), after "
              f"{run['rss_after_bytes'] / MIB:.1f} MiB, {run['minflt']} minor faults")
        r.check(grew >= 60 * MIB, f"detailed: run {i} peak RSS shows the 64 MiB allocation",
                f"{grew / MIB:.1f} MiB")
        r.check(run["minflt"] >= 60 * MIB // 4096 // 2, f"detailed: run {i} page faults")
    r.check(len(runs) == 2, "detailed: one entry per run")
    rep = demo.profile_done("io", "detailed", runs=1)
    run = rep.get("detailed", {}).get("runs", [{}])[0]
    print(f"io run: write_bytes {run.get('write_bytes', 0) / MIB:.2f} MiB, wchar "
          f"{run.get('wchar', 0) / MIB:.2f} MiB")
    r.check(run.get("write_bytes", 0) >= 8 * MIB, "detailed: write_bytes shows the 8 MiB file",
            str(run))
    r.check(run.get("wchar", 0) >= 8 * MIB, "detailed: wchar shows the 8 MiB written")
    rep = demo.profile_done("split", "detailed", runs=1)
    d = rep.get("detailed", {})
    series = d.get("series", [])
    r.check(len(series) >= 5 and all(p["rss_bytes"] > 0 for p in series),
            "detailed: an RSS/CPU series sampled during the run", str(series[:2]))
    busy = [p["cpu_pct"] for p in series[1:]]
    r.check(busy and median(busy) > 10, "detailed: the series shows the target on CPU",
            str(busy[:8]))
    run = d.get("runs", [{}])[0]
    # the loop needs ~0.23 s of CPU whatever else runs on the machine
    r.check(run.get("user_s", 0) >= 0.15, "detailed: user CPU of the run", str(run))


def check_sleep(r, demo):
    wall = demo.profile_done("sleep", "sampling", clock="wall", hz=1000).get("sampling", {})
    cpu = demo.profile_done("sleep", "sampling", clock="cpu", hz=250).get("sampling", {})
    r.check(wall.get("samples_received", 0) >= 50, "wall clock sees the sleep",
            str(wall.get("samples_received")))
    r.check(cpu.get("samples_received", 99) <= 5, "CPU clock does not see the sleep",
            str(cpu.get("samples_received")))


def check_overhead(r, demo):
    """Slowdown of the 70/30 target: median run time without profiling (simulate),
    under sampling at its effective rates and under tracing, interleaved in rounds
    in one process. CPU time of the run's thread (run_cpu_s) is the figure that
    other load on the machine does not blur; wall time is printed too."""
    modes = {"sampling cpu 250 Hz": dict(mode="sampling", clock="cpu", hz=250),
             "sampling wall 1 kHz": dict(mode="sampling", clock="wall", hz=1000),
             "tracing": dict(mode="tracing")}
    cpu = {"none": [], **{label: [] for label in modes}}
    wall = {label: [] for label in cpu}
    for _ in range(3):
        rep = demo.simulate_done("split", 0.5)
        cpu["none"] += rep.get("run_cpu_s", [])
        wall["none"] += rep.get("run_wall_s", [])
        for label, req in modes.items():
            rep = demo.profile_done("split", runs=2, **req)
            cpu[label] += rep.get("run_cpu_s", [])
            wall[label] += rep.get("run_wall_s", [])
    base_cpu, base_wall = median(cpu["none"]), median(wall["none"])
    for label in cpu:
        ratio = median(cpu[label]) / base_cpu
        print(f"overhead: {label}: median run {median(cpu[label]) * 1000:.1f} ms CPU "
              f"(ratio {ratio:.3f}), {median(wall[label]) * 1000:.1f} ms wall "
              f"(ratio {median(wall[label]) / base_wall:.3f}), {len(cpu[label])} runs")
        r.check(len(cpu[label]) >= 3 and ratio < 1.3, f"overhead of {label} is modest",
                f"{ratio:.3f}")


def main():
    r = pbtest.Results("profiling.modes")
    with Demo() as demo:
        check_every_target(r, demo)
        wall = check_split(r, demo, "wall", 1000, 3.0)
        cpu = check_split(r, demo, "cpu", 250, 8.0)
        check_rates(r, wall, cpu)
        check_threads(r, demo)
        check_tracing(r, demo)
        check_detailed(r, demo)
        check_sleep(r, demo)
        check_overhead(r, demo)
        r.check(demo.call({"op": "health"}).get("status") == "ok", "agent healthy at the end")
        rc = demo.close()
        r.check(rc == 0, "perfbus-demo exits 0 on SIGTERM", str(rc))
    r.finish()


if __name__ == "__main__":
    main()
