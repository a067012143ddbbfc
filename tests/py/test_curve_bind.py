"""security.bind_rule: binding beyond loopback without CURVE is refused, with how to fix it.

perfbusd --pub tcp://0.0.0.0:0 fails with a message naming perfbus keygen,
--curve-secret, --curve-allow and --insecure, and starts with --insecure or
with CURVE; the same for perfbus-sub --query, perfbus replay --bind and a
libperfbus agent (through PERFBUS_* environment variables, via perfbusd's
--profile, which takes the same rule). --curve-secret without --curve-allow
is refused too.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import curvetest as ct  # noqa: E402
import pbtest  # noqa: E402

HINTS = ("perfbus keygen", "--curve-secret", "--curve-allow", "--insecure")


def run(argv, timeout=20):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def check_refused(r, what, argv):
    p = run(argv)
    r.check(p.returncode != 0, f"{what}: refused", f"exit {p.returncode}")
    r.check(all(h in p.stderr for h in HINTS) and "refusing to bind" in p.stderr,
            f"{what}: the message says how to configure CURVE", p.stderr[-400:])


def check_starts(r, what, argv, ready):
    p = ct.Proc(argv, ready)
    r.check(p.alive(), f"{what}: starts", p.stderr())
    r.check(p.stop() == 0, f"{what}: exits 0 on SIGTERM", p.stderr())


def main():
    r = pbtest.Results("security.bind_rule")
    keys = ct.Keys("server")
    d = ct.build_path("publisher", "perfbusd")
    base = [d, "--control", f"ipc://{keys.dir}/ctl", "--profile", f"ipc://{keys.dir}/prof",
            "--profile-pub", f"ipc://{keys.dir}/profpub"]
    try:
        check_refused(r, "perfbusd --pub tcp://0.0.0.0:0", base + ["--pub", "tcp://0.0.0.0:0"])
        check_refused(r, "perfbusd --pub tcp://*:0", base + ["--pub", "tcp://*:0"])
        check_starts(r, "perfbusd --pub tcp://0.0.0.0:0 --insecure",
                     base + ["--pub", "tcp://0.0.0.0:0", "--insecure"], "perfbusd: ready")
        check_starts(r, "perfbusd --pub tcp://0.0.0.0:0 with CURVE",
                     base + ["--pub", "tcp://0.0.0.0:0", "--curve-secret", keys.path("server"),
                             "--curve-allow", keys.allow], "perfbusd: ready")
        check_refused(r, "perfbusd --profile (the agent's ROUTER) on 0.0.0.0",
                      [d, "--pub", f"ipc://{keys.dir}/pub", "--control", f"ipc://{keys.dir}/c2",
                       "--profile", "tcp://0.0.0.0:0", "--profile-pub", f"ipc://{keys.dir}/pp"])
        p = run(base + ["--pub", f"ipc://{keys.dir}/pub2", "--curve-secret", keys.path("server")])
        r.check(p.returncode != 0 and "--curve-allow" in p.stderr,
                "perfbusd: --curve-secret without --curve-allow is refused", p.stderr[-300:])
        sub = [ct.build_path("subscriber", "perfbus-sub"), "--connect", f"ipc://{keys.dir}/none"]
        check_refused(r, "perfbus-sub --query tcp://0.0.0.0:0", sub + ["--query", "tcp://0.0.0.0:0"])
        check_starts(r, "perfbus-sub --query tcp://0.0.0.0:0 --insecure",
                     sub + ["--query", "tcp://0.0.0.0:0", "--insecure"], "perfbus-sub: ready")
        store = os.path.join(keys.dir, "store")
        os.mkdir(store)
        os.mkdir(os.path.join(store, "run-empty"))
        check_refused(r, "perfbus replay --bind tcp://0.0.0.0:0",
                      [ct.build_path("cli", "perfbus"), "replay", "--store", store, "run-empty",
                       "--bind", "tcp://0.0.0.0:0"])
    finally:
        keys.close()
    r.finish()


if __name__ == "__main__":
    main()
