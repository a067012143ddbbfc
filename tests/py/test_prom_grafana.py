#!/usr/bin/python3
"""prom.grafana: the "Node Exporter Full" panels perfbus claims to serve return data through Prometheus.

Grafana dashboard 1860's first rows (Quick CPU / Mem / Disk, Basic CPU / Mem / Net / Disk,
CPU / Memory / Net / Disk), written here as the expressions those panels evaluate — with the
dashboard variables substituted as Grafana would for a 1 s scrape interval ($__rate_interval =
4s, instance and job of the target) — not read from the dashboard JSON. perfbusd (1 s) ->
perfbus-sub --http -> Debian's /usr/bin/prometheus scraping every second (free loopback port,
temp dir). Every expression must return a sample (waited on, up to 60 s); the fixed ones must
equal this machine's /proc figures, and the disk panels' device sets must be the whole disks
of /sys/block that match the panels' regex and have done I/O. The dashboard's drop-downs
(job, nodename, node) are label_values() of node_uname_info: run here as Grafana runs them,
each must give this target and this machine's uname. Pressure, its Irq line, Hardware
Corrupted and Network Saturation are checked where this kernel has the file (PSI, irq PSI,
the meminfo line, a link speed). The panels perfbus does not serve (filesystems) are listed
in README.md.
"""

import math
import os
import re
import time

import pbsub
import pbtest
from promserver import JOB, PROMETHEUS, Prometheus

RATE = "4s"  # Grafana's $__rate_interval for a 1 s scrape interval: max(1s + 1s, 4 x 1s)
DISK_RE = "[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+"


def panels(sel):
    """(panel, expr) of every target perfbus serves; sel is instance + job."""
    cpus = f"scalar(count(count(node_cpu_seconds_total{{{sel}}}) by (cpu)))"
    out = [
        ("CPU Busy", f'100 * (1 - avg(rate(node_cpu_seconds_total{{mode="idle",{sel}}}[{RATE}])))'),
        ("Sys Load", f"scalar(node_load1{{{sel}}}) * 100 / count(count(node_cpu_seconds_total{{{sel}}}) by (cpu))"),
        ("RAM Used", f"clamp_min((1 - (node_memory_MemAvailable_bytes{{{sel}}} / node_memory_MemTotal_bytes{{{sel}}})) * 100, 0)"),
        ("SWAP Used", f"(node_memory_SwapTotal_bytes{{{sel}}} > bool 0) * ((node_memory_SwapTotal_bytes{{{sel}}} - node_memory_SwapFree_bytes{{{sel}}}) / (node_memory_SwapTotal_bytes{{{sel}}})) * 100"),
        ("Memory Basic: Free", f"node_memory_MemFree_bytes{{{sel}}}"),
        ("Memory Basic: Swap used", f"node_memory_SwapTotal_bytes{{{sel}}} - node_memory_SwapFree_bytes{{{sel}}}"),
        ("Memory: Buffers", f"node_memory_Buffers_bytes{{{sel}}}"),
        ("Network Traffic: Rx", f"rate(node_network_receive_bytes_total{{{sel}}}[{RATE}])*8"),
        ("Network Traffic: Tx", f"rate(node_network_transmit_bytes_total{{{sel}}}[{RATE}])*8"),
        ("CPU Basic: Busy IRQs", f'avg(sum without(mode) (rate(node_cpu_seconds_total{{{sel}, mode=~".*irq"}}[{RATE}])))'),
        ("CPU Basic: Busy Other", f"avg(sum without (mode) (rate(node_cpu_seconds_total{{{sel},  mode!='idle',mode!='user',mode!='system',mode!='iowait',mode!='irq',mode!='softirq'}}[{RATE}])))"),
    ]
    for mode in ("system", "user", "nice", "iowait", "irq", "softirq", "steal", "idle"):
        out.append((f"CPU: {mode}", f'sum(rate(node_cpu_seconds_total{{mode="{mode}",{sel}}}[{RATE}])) / {cpus}'))
    for mode in ("system", "user", "iowait", "idle"):
        out.append((f"CPU Basic: {mode}", f'avg(rate(node_cpu_seconds_total{{{sel}, mode="{mode}"}}[{RATE}]))'))
    return out + memory_panels(sel) + kernel_panels(sel)


def memory_panels(sel):
    """Memory Basic and Memory (node_exporter's meminfo lines)."""
    def m(name):
        return f"node_memory_{name}_bytes{{{sel}}}"
    out = [
        ("Memory Basic: Used", f"{m('MemTotal')} - {m('MemFree')} - ({m('Cached')} + {m('Buffers')} + {m('SReclaimable')})"),
        ("Memory Basic: Cache + Buffer", f"{m('Cached')} + {m('Buffers')} + {m('SReclaimable')}"),
        ("Memory: Apps", f"{m('MemTotal')} - {m('MemFree')} - {m('Buffers')} - {m('Cached')} - {m('Slab')} - {m('PageTables')} - {m('SwapCached')}"),
        ("Memory: PageTables", m("PageTables")),
        ("Memory: SwapCache", m("SwapCached")),
        ("Memory: Slab", m("Slab")),
        ("Memory: Cache", m("Cached")),
        ("Memory: Unused", m("MemFree")),
        ("Memory: Swap", f"({m('SwapTotal')} - {m('SwapFree')})"),
    ]
    if "HardwareCorrupted" in meminfo():
        out.append(("Memory: Hardware Corrupted", m("HardwareCorrupted")))
    return out


def link_speeds():
    """Interfaces whose link speed the kernel knows (Mb/s > 0)."""
    out = []
    for dev in os.listdir("/sys/class/net"):
        try:
            with open(f"/sys/class/net/{dev}/speed") as f:
                if int(f.read()) > 0:
                    out.append(dev)
        except (OSError, ValueError):
            pass
    return out


def kernel_panels(sel):
    """Uptime, and where this kernel has the files: Pressure, Network Saturation."""
    out = [("Uptime", f"node_time_seconds{{{sel}}} - node_boot_time_seconds{{{sel}}}")]
    for name, metric in (("CPU", "cpu_waiting"), ("Mem", "memory_waiting"), ("I/O", "io_waiting"),
                         ("Irq", "irq_stalled")):
        if os.path.exists(f"/proc/pressure/{metric.split('_')[0]}"):
            out.append((f"Pressure: {name}", f"rate(node_pressure_{metric}_seconds_total{{{sel}}}[{RATE}])"))
    if link_speeds():
        for way in ("receive", "transmit"):
            out.append((f"Network Saturation: {way}", f"(node_network_speed_bytes{{{sel}}} > bool 0) * (rate(node_network_{way}_bytes_total{{{sel}}}[{RATE}]) / node_network_speed_bytes{{{sel}}})"))
    return out


def meminfo():
    mem = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            mem[k] = int(v.split()[0]) * 1024
    return mem


def btime():
    with open("/proc/stat") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("btime "))


def fixed(sel):
    """(panel, expr, the value this machine's /proc gives)."""
    mem = meminfo()
    with open("/proc/stat") as f:
        ncpu = sum(1 for line in f if re.match(r"cpu\d+ ", line))
    return [("CPU Cores", f"count(count(node_cpu_seconds_total{{{sel}}}) by (cpu))", ncpu),
            ("RAM Total", f"node_memory_MemTotal_bytes{{{sel}}}", mem["MemTotal"]),
            ("SWAP Total", f"node_memory_SwapTotal_bytes{{{sel}}}", mem["SwapTotal"]),
            ("boot time (Uptime)", f"node_boot_time_seconds{{{sel}}}", btime())]


def busy_disks():
    """Whole disks (entries of /sys/block) matching the panels' regex that have done I/O."""
    out = set()
    with open("/proc/diskstats") as f:
        for line in f:
            w = line.split()
            if (os.path.isdir(f"/sys/block/{w[2]}") and re.fullmatch(DISK_RE, w[2])
                    and (int(w[3]) or int(w[7]))):
                out.add(w[2])
    return out


def has_sample(prom, expr):
    """True when the instant query returns a series (NaN counts: Grafana draws it as such)."""
    return bool(prom.query(expr))


def wait_all(prom, exprs, timeout):
    """The exprs still without a sample after timeout (a loaded box may delay scrapes)."""
    left, end = list(exprs), time.monotonic() + timeout
    while left and time.monotonic() < end:
        left = [e for e in left if not has_sample(prom, e[1])]
        if left:
            time.sleep(1)
    return left


def check_panels(r, prom, sel):
    left = wait_all(prom, panels(sel), 60)
    r.check(not left, "every target of the panels perfbus serves returns a sample",
            "; ".join(f"{name}: {expr}" for name, expr in left))
    for name, expr in panels(sel):
        res = prom.query(expr)
        vals = [float(s["value"][1]) for s in res]
        r.check(res and all(math.isnan(v) or v >= 0 for v in vals), f"{name} is >= 0 (or NaN)",
                f"{expr}: {vals}")


def check_fixed(r, prom, sel):
    for name, expr, want in fixed(sel):
        got = prom.scalar(expr)
        r.check(got == want, f"{name} equals this machine's /proc value", f"{expr}: {got} vs {want}")


def check_uptime(r, prom, sel):
    got = prom.scalar(f"node_time_seconds{{{sel}}} - node_boot_time_seconds{{{sel}}}")
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    # whole seconds of btime, and a scrape and a sample behind: a few seconds either way
    r.check(got is not None and abs(got - up) < 5, "Uptime is /proc/uptime", f"{got} vs {up}")


def check_variables(r, prom, addr):
    """The drop-downs: label_values(node_uname_info, job), then nodename, then instance."""
    u = os.uname()
    jobs = {s["metric"].get("job") for s in prom.query("node_uname_info")}
    r.check(JOB in jobs, "label_values(node_uname_info, job) has the job", str(jobs))
    res = prom.query(f'node_uname_info{{job="{JOB}"}}')
    names = {s["metric"].get("nodename") for s in res}
    r.check(names == {u.nodename}, "label_values(node_uname_info{job}, nodename) is uname -n",
            f"{names} vs {u.nodename}")
    res = prom.query(f'node_uname_info{{job="{JOB}", nodename="{u.nodename}"}}')
    insts = {s["metric"].get("instance") for s in res}
    r.check(insts == {addr}, "label_values(node_uname_info{job, nodename}, instance) is the target",
            f"{insts} vs {addr}")
    want = {"sysname": u.sysname, "release": u.release, "version": u.version,
            "machine": u.machine, "nodename": u.nodename}
    got = {k: res[0]["metric"].get(k) for k in want} if res else {}
    r.check(got == want and res and res[0]["value"][1] == "1"
            and res[0]["metric"].get("domainname"), "node_uname_info = 1 with uname(2)'s labels",
            f"{res[:1]} vs {want}")


def check_disks(r, prom, sel):
    want = busy_disks()
    for metric in ("node_disk_reads_completed_total", "node_disk_writes_completed_total",
                   "node_disk_read_bytes_total", "node_disk_written_bytes_total",
                   "node_disk_io_time_seconds_total"):
        expr = f'rate({metric}{{{sel},device=~"{DISK_RE}"}}[{RATE}])'
        wait_all(prom, [("", expr)] if want else [], 30)
        got = {s["metric"].get("device") for s in prom.query(expr)}
        r.check(got == want, f"Disk panels: {metric} has the whole disks that did I/O",
                f"{sorted(got)} vs {sorted(want)}")


def scenario(r, bench):
    bench.daemon(1)
    sub = bench.sub("--http", "127.0.0.1:0")
    addr = bench.request({"op": "health"}).get("http")
    if not r.check(addr and not addr.endswith(":0"), "perfbus-sub reports its bound address",
                   sub.stderr()):
        return
    prom = Prometheus(addr)
    try:
        if not prom.wait_ready():
            r.fatal(f"{PROMETHEUS} did not become ready on {prom.url}: {prom.stderr()}")
        sel = f'instance="{addr}",job="{JOB}"'
        check_panels(r, prom, sel)
        check_fixed(r, prom, sel)
        check_uptime(r, prom, sel)
        check_variables(r, prom, addr)
        check_disks(r, prom, sel)
        r.check(sub.stop() == 0, "perfbus-sub exits 0 on SIGTERM", sub.stderr())
    finally:
        prom.stop()


def main():
    r = pbtest.Results("prom.grafana")
    if not os.access(PROMETHEUS, os.X_OK):
        r.fatal(f"{PROMETHEUS} is missing: scripts/deps.sh installs Debian's prometheus package")
    t0 = time.monotonic()
    with pbsub.Bench() as bench:
        scenario(r, bench)
    print(f"prom.grafana: {time.monotonic() - t0:.1f} s", flush=True)
    r.finish()


if __name__ == "__main__":
    main()
