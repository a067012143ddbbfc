#!/usr/bin/python3
"""cli.forms: every binary takes the same option forms and refuses bad ones the same way.

For perfbusd, perfbus-sub, perfbus-report and perfbus:
- --version prints "NAME VERSION" and --help lists the exit codes, both exit 0;
- an unknown option and a missing value exit 2 naming the option ("unknown option
  '--bogus'", "--pub needs a value");
- each duration flag takes 250ms, 1.5s, 90s, 5m, 2h, 7d and a bare number (where its range
  allows: perfbus-report periods and --segment-seconds are whole seconds, so 250ms is refused), and
  each size flag 512K, 5G, 5GiB and a bare number; abc, -1 and 5X exit 2 with the flag named.
A value is "taken" when the option parser lets the binary go on: the daemons are pointed at
ipc endpoints in a directory that does not exist, so once their options are read they fail
to bind (exit 1, the bind named) instead of running; perfbus-report renders an empty store
(exit 0); the CLI's --timeout waits for a server that is not there (exit 3).
`perfbus-report RUN` names the store it looked in (the default one, or --store's).
The CLI's own wording of refusals and its --last are the cliconv work (cli/): here the CLI
must name the option and exit 2.
"""

import os
import subprocess
import tempfile

import pbtest

DURATIONS = ["250ms", "1.5s", "90s", "5m", "2h", "7d"]
SIZES = ["512K", "5G", "5GiB"]
BAD = ["abc", "-1", "5X"]
NOWHERE = "ipc:///nonexistent-perfbus-dir/sock"


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def check_version_help(r, name, exe):
    v = run([exe, "--version"])
    r.check(v.returncode == 0 and v.stdout.startswith(f"{name} "),
            f"{name} --version", f"exit {v.returncode}: {v.stdout!r} {v.stderr!r}")
    h = run([exe, "--help"])
    r.check(h.returncode == 0 and "Exit status" in h.stdout and " 2 " in h.stdout.replace("\n", " "),
            f"{name} --help exits 0 and lists the exit codes", f"exit {h.returncode}: {h.stdout[-300:]}")


def check_refusals(r, name, argv, value_flag, exact):
    p = run(argv + ["--bogus"])
    want = "unknown option '--bogus'" if exact else "'--bogus'"
    r.check(p.returncode == 2 and want in p.stderr, f"{name} --bogus: exit 2, '{want}'",
            f"exit {p.returncode}: {p.stderr}")
    p = run(argv + [value_flag])
    want = f"{value_flag} needs a value" if exact else value_flag
    r.check(p.returncode == 2 and want in p.stderr, f"{name} {value_flag} (no value): exit 2, '{want}'",
            f"exit {p.returncode}: {p.stderr}")


def check_value(r, name, argv, flag, value, good_rc, why):
    p = run(argv + [flag, value])
    if good_rc is None:  # perfbusd names a range error by key: "for interval"
        named = flag in p.stderr or f"for {flag.lstrip('-')}" in p.stderr
        r.check(p.returncode == 2 and named, f"{name} {flag} {value}: refused, exit 2, flag named",
                f"exit {p.returncode}: {p.stderr[-300:]}")
    else:
        r.check(p.returncode == good_rc and flag not in p.stderr,
                f"{name} {flag} {value}: taken ({why})", f"exit {p.returncode}: {p.stderr[-300:]}")


def check_flags(r, name, argv, flags, good_rc, why):
    """flags: (flag, good values, values refused by range)."""
    for flag, good, out_of_range in flags:
        for value in good:
            check_value(r, name, argv, flag, value, good_rc, why)
        for value in BAD + out_of_range:
            check_value(r, name, argv, flag, value, None, why)


def check_run_not_found(r, report, cli, tmp, store):
    """perfbus-report RUN-ID says which store it looked in and how to pick another."""
    env = {k: v for k, v in os.environ.items() if k not in ("PERFBUS_STORE", "XDG_STATE_HOME")}
    env["HOME"] = tmp
    p = subprocess.run([report, "nosuchrun"], capture_output=True, text=True, timeout=30, env=env,
                       cwd=tmp)
    where = os.path.join(tmp, ".local", "state", "perfbus")
    r.check(p.returncode == 1 and f"no run 'nosuchrun' in store {where}" in p.stderr
            and "--store" in p.stderr and "$PERFBUS_STORE" in p.stderr,
            "perfbus-report RUN names the default store it looked in", p.stderr)
    p = run([report, "--store", store, "nosuchrun"])
    r.check(p.returncode == 1 and f"no run 'nosuchrun' in store {store} (given by --store)"
            in p.stderr, "and --store DIR's, with a RUN id", p.stderr)
    p = run([cli, "dump", "--store", store, "nosuchrun"])
    r.check(p.returncode == 1 and f"no run 'nosuchrun' in store {store} (given by --store)"
            in p.stderr, "perfbus dump says it in the same words", p.stderr)


def main():
    r = pbtest.Results("cli.forms")
    tmp = tempfile.mkdtemp(prefix="pbforms-")
    store, out = os.path.join(tmp, "store"), os.path.join(tmp, "out")
    os.mkdir(store)
    perfbusd = pbtest.perfbusd_path()
    sub = pbtest.build_path("subscriber", "perfbus-sub")
    report = pbtest.build_path("reporter", "perfbus-report")
    cli = pbtest.build_path("cli", "perfbus")
    for name, exe in (("perfbusd", perfbusd), ("perfbus-sub", sub),
                      ("perfbus-report", report), ("perfbus", cli)):
        check_version_help(r, name, exe)

    d_argv = [perfbusd, "--pub", NOWHERE, "--control", NOWHERE]
    check_refusals(r, "perfbusd", d_argv, "--pub", True)
    bare = ["2"]
    check_flags(r, "perfbusd", d_argv, [("--interval", DURATIONS[:4] + bare, ["2h", "7d"]),
                                        ("--heartbeat", DURATIONS[:4] + bare, ["7d"])],
                1, "then the bind fails")

    s_argv = [sub, "--query", NOWHERE, "--connect", NOWHERE]
    check_refusals(r, "perfbus-sub", s_argv, "--store", True)
    check_flags(r, "perfbus-sub", s_argv,
                [("--keep-gb", SIZES + ["2", "0"], []), ("--segment-mb", SIZES[:2] + ["8"], []),
                 ("--http-client-kb", SIZES[:1] + ["64"], ["1"]),
                 ("--gone-seconds", DURATIONS + ["10"], ["0"]),
                 ("--idle-seconds", DURATIONS + ["300"], []),
                 ("--history-seconds", DURATIONS + ["60"], []),
                 ("--keep-days", DURATIONS + ["7"], []),
                 ("--flush-ms", DURATIONS[:4] + ["250"], ["2h"]),
                 ("--segment-seconds", DURATIONS[1:] + ["3600"], ["250ms"]),
                 ("--remote-write-deadline", DURATIONS[:4] + ["1"], ["2h"])],
                1, "then the bind fails")

    r_argv = [report, "--store", store, "--out-dir", out, "--once", "--format", "json"]
    check_refusals(r, "perfbus-report", r_argv, "--keep", True)
    check_flags(r, "perfbus-report", r_argv + ["--window", "1h"],
                [("--every", DURATIONS[1:] + ["3600"], ["250ms", "0"])], 0, "an empty store")
    check_flags(r, "perfbus-report", r_argv + ["--every", "1h"],
                [("--window", DURATIONS[1:] + ["600"], ["250ms"]),
                 ("--keep", ["3", "0"], ["1.5"])], 0, "an empty store")

    check_run_not_found(r, report, cli, tmp, store)

    c_argv = [cli, "system", "--endpoint", NOWHERE]
    check_refusals(r, "perfbus system", c_argv, "--timeout", False)
    check_flags(r, "perfbus system", c_argv, [("--timeout", ["250ms", "1.5s", "500"], [])], 3,
                "then no server answers in time")
    r.finish()


if __name__ == "__main__":
    main()
