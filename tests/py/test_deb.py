#!/usr/bin/python3
"""install.deb: the Debian packages build, pass lintian, install, work and remove cleanly.

A copy of the source tree (git's files, so the checkout is left alone) is built with
`sh scripts/deb.sh OUT` (what `make deb` runs: dpkg-buildpackage + lintian, failing on any
lintian error). Then `dpkg -i` of perfbus, libperfbus0 and libperfbus-dev; the installed
/usr/sbin/perfbusd and /usr/bin/perfbus-sub run for a few seconds on ipc endpoints of a temp
dir with perfbus-sub recording; `/usr/bin/perfbus system` and `stats` answer, and
/usr/bin/perfbus-report renders the recorded run; pkg-config finds the installed library;
`dpkg -r` removes the three packages and their files are gone. Needs root (dpkg).
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
import time

import pbtest

SOURCE = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGES = ("libperfbus-dev", "perfbus", "libperfbus0")
# Two suites on one machine (make test and make test SANITIZE=1) would install and remove the
# same packages under each other, and dpkg refuses a second frontend: they take turns.
LOCK = os.path.join(tempfile.gettempdir(), "perfbus-install-deb.lock")


def run(argv, timeout=600, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def copy_tree(dst):
    files = run(["git", "-C", SOURCE, "ls-files", "--cached", "--others", "--exclude-standard",
                 "-z"]).stdout.split("\0")
    for rel in filter(None, files):
        src = os.path.join(SOURCE, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, rel))


def build(r, tmp):
    tree = os.path.join(tmp, "perfbus")
    copy_tree(tree)
    out = os.path.join(tmp, "deb")
    # uPlot from this build tree (make fetched it), as `make deb` passes it
    env = dict(os.environ, PB_WEB_DEPS=os.path.join(os.environ["PB_BUILD"], "web-deps"))
    p = run(["sh", "scripts/deb.sh", out], timeout=1200, cwd=tree, env=env)
    r.check(p.returncode == 0, "the packages build and lintian reports no error",
            p.stdout[-1500:] + p.stderr[-1500:])
    debs = {n: os.path.join(out, f"{n}_0.1.0_amd64.deb") for n in PACKAGES}
    missing = [d for d in debs.values() if not os.path.exists(d)]
    if missing:
        r.fatal(f"missing packages: {missing}")
    return debs


def use_installed(r, tmp):
    store = os.path.join(tmp, "store")
    d = pbtest.Proc(["/usr/sbin/perfbusd", "--pub", f"ipc://{tmp}/pub", "--control",
                     f"ipc://{tmp}/ctl", "--interval", "0.2"], "perfbusd: ready")
    s = pbtest.Proc(["/usr/bin/perfbus-sub", "--connect", f"ipc://{tmp}/pub", "--query",
                     f"ipc://{tmp}/query", "--store", store, "--record"], "perfbus-sub: ready")
    p = run(["/usr/bin/perfbus", "system", "--endpoint", f"ipc://{tmp}/ctl"])
    r.check(p.returncode == 0 and "cpu" in p.stdout.lower(), "/usr/bin/perfbus system answers",
            p.stdout[-300:] + p.stderr[-300:])
    end = time.monotonic() + 15
    while time.monotonic() < end:
        stats = run(["/usr/bin/perfbus", "stats", "--json", "--endpoint", f"ipc://{tmp}/query"])
        if '"frames": ' in stats.stdout and '"frames": 0,' not in stats.stdout:
            break
        time.sleep(0.3)
    time.sleep(2.5)  # the recorder flushes every second
    r.check(s.stop() == 0 and d.stop() == 0, "the installed daemons stop cleanly",
            s.stderr() + d.stderr())
    runs = [e for e in os.listdir(store) if not e.startswith(".")]
    html = os.path.join(tmp, "report.html")
    p = run(["/usr/bin/perfbus-report", os.path.join(store, runs[0]) if runs else "none",
             "--format", "html", "--out", html])
    r.check(p.returncode == 0 and os.path.getsize(html) > 1000 if os.path.exists(html) else False,
            "/usr/bin/perfbus-report renders the recorded run", p.stderr[-500:])


def main():
    r = pbtest.Results("install.deb")
    if os.geteuid() != 0:
        r.fatal("dpkg -i needs root")
    for tool in ("dpkg-buildpackage", "lintian", "dh", "git"):
        if not shutil.which(tool):
            r.fatal(f"{tool} is missing: scripts/deps.sh deb installs it")
    tmp = tempfile.mkdtemp(prefix="pbdeb-")
    lock = open(LOCK, "w")
    try:
        debs = build(r, tmp)
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the process exits
        p = run(["dpkg", "-i", *debs.values()])
        if not r.check(p.returncode == 0, "dpkg -i installs the three packages", p.stderr[-800:]):
            r.finish()
        use_installed(r, tmp)
        pc = run(["pkg-config", "--libs", "perfbus"])
        r.check(pc.returncode == 0 and "-lperfbus" in pc.stdout,
                "pkg-config finds the installed libperfbus", pc.stderr)
        files = run(["dpkg", "-L", "libperfbus-dev", "perfbus"]).stdout.split("\n")
        r.check(any(f.endswith("/libperfbus.a") for f in files)
                and "/usr/share/bash-completion/completions/perfbus-sub" in files,
                "libperfbus-dev holds libperfbus.a, perfbus the bash completion", "")
    finally:
        p = run(["dpkg", "-r", *PACKAGES])
        r.check(p.returncode == 0, "dpkg -r removes them", p.stderr[-800:])
        left = [f for f in ("/usr/sbin/perfbusd", "/usr/bin/perfbus", "/usr/include/perfbus.h",
                            "/usr/lib/systemd/system/perfbusd.service") if os.path.exists(f)]
        r.check(not left, "and their files are gone", f"{left}")
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
