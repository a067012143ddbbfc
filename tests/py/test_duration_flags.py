#!/usr/bin/python3
"""cli.durations: perfbusd and the perfbus CLI take durations as pb_units writes them.

perfbusd --interval 200ms --heartbeat 1s sends sys frames 0.2 s apart (by the frames'
own interval_s); `perfbus system --timeout 2s` answers; `--timeout 1500` (a bare number:
milliseconds) too; --interval 5x, --interval -1s, --timeout 2 hours are refused with
the flag named and examples given, exit status 2.
"""

import subprocess

import pbtest


def refused(argv, flag):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    return p.returncode == 2 and flag in p.stderr and "250ms" in p.stderr, p


def main():
    r = pbtest.Results("cli.durations")
    with pbtest.Daemon("--heartbeat", "1s", interval="200ms") as d:
        frames = [pbtest.unpack(m[1]) for m in d.collect(1.5, "sys.")]
        intervals = [f.get("interval_s") for f in frames if "interval_s" in f]
        r.check(intervals and all(abs(i - 0.2) < 0.1 for i in intervals[1:]),
                "--interval 200ms samples every 0.2 s", f"{intervals}")
        cli = pbtest.build_path("cli", "perfbus")
        for t in ("2s", "1500", "750ms"):
            p = subprocess.run([cli, "system", "--endpoint", d.control, "--timeout", t],
                               capture_output=True, text=True, timeout=20)
            r.check(p.returncode == 0, f"perfbus system --timeout {t} answers", p.stderr)
        ok, p = refused([cli, "system", "--endpoint", d.control, "--timeout", "2 hours"],
                        "--timeout")
        r.check(ok, "--timeout '2 hours' is refused by name, with examples",
                f"exit {p.returncode}: {p.stderr}")
    for bad in ("5x", "-1s", ""):
        ok, p = refused([pbtest.perfbusd_path(), "--interval", bad], "--interval")
        r.check(ok, f"perfbusd --interval '{bad}' is refused by name, with examples",
                f"exit {p.returncode}: {p.stderr}")
    r.finish()


if __name__ == "__main__":
    main()
