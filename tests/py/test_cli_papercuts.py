#!/usr/bin/python3
"""cli.<case>: the perfbus CLI's conventions (issue 15), one case per ctest name.

  json           with --json every error is one reply.error-shaped JSON object on stderr
                 (usage, unreachable, refused, missing store) and every command's output is
                 JSON: system, health, runs, dump, tail, replay (which ignored --json)
  tables         human tables write numbers in their catalogue unit, thousands grouped,
                 never %g's 1.71213e+06; --last takes durations (1m, 1500ms)
  health_bool    `perfbus health` of perfbus-sub prints booleans as yes/no ("recording nan")
  replay_port    `replay --bind tcp://127.0.0.1:*` says the port it bound, and it is that one
  ipc_takeover   a second perfbusd on the same ipc paths refuses while the first lives;
                 after a kill -9 the stale socket files are reused
  bad_endpoint   --endpoint/--bind tcpp://... names the bad transport, exit 2, every command
  process_pid    `process 99999999` says no such process; `process abc`: not a PID
  profile_runs   `profile --runs 0` (and -1, 1.5) is refused before any request
  summary_field  `summary --field nope` names the field and the valid ones, exit 2
  store_paths    `runs` and `dump RUN` name the store they looked in and why there

Usage: test_cli_papercuts.py CASE
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pbtest

import jsonschema
import zmq

CLI = pbtest.build_path("cli", "perfbus")
RUN_V1 = os.path.join(pbtest.SOURCE, "tests", "data", "run-v1")


def cli(*args, env=None, cwd=None, timeout=30):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=env, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def error_schema():
    return pbtest.load_schemas()["reply.error"]


def json_lines(text):
    """Every line of text parsed as JSON; None if one is not."""
    try:
        return [json.loads(line) for line in text.splitlines()]
    except ValueError:
        return None


def is_json_error(stderr, schema):
    """stderr is exactly one JSON object of reply.error's shape."""
    lines = json_lines(stderr)
    if not lines or len(lines) != 1:
        return False
    try:
        jsonschema.validate(lines[0], schema)
    except jsonschema.ValidationError:
        return False
    return True


class Bench:
    """perfbusd and perfbus-sub on ipc endpoints in a temp dir, and a store with a run."""

    def __init__(self, sub=True):
        self.dir = tempfile.mkdtemp(prefix="pbcli-")
        self.pub, self.control = f"ipc://{self.dir}/pub", f"ipc://{self.dir}/ctl"
        self.query = f"ipc://{self.dir}/query"
        self.store = os.path.join(self.dir, "store")
        self.procs = []
        self.run_id = sorted(os.listdir(RUN_V1))[0]
        shutil.copytree(RUN_V1, self.store)

    def daemon(self, *flags):
        p = pbtest.Proc([pbtest.perfbusd_path(), "--pub", self.pub, "--control", self.control,
                         "--interval", "100ms", *flags], pbtest.READY_LINE)
        self.procs.append(p)
        return p

    def sub(self):
        p = pbtest.Proc([pbtest.build_path("subscriber", "perfbus-sub"), "--connect", self.pub,
                         "--query", self.query, "--store", os.path.join(self.dir, "rec"),
                         "--record"], "perfbus-sub: ready")
        self.procs.append(p)
        return p

    def wait_frames(self, n, timeout=20):
        """Until perfbus-sub has seen n frames (asked through the CLI)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            rc, out, _ = cli("stats", "--endpoint", self.query, "--json")
            if rc == 0 and json.loads(out).get("frames", 0) >= n:
                return True
            time.sleep(0.1)
        return False

    def close(self):
        for p in self.procs:
            p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def case_json(r):
    schema = error_schema()
    with Bench() as b:
        b.daemon()
        for argv, want_rc, what in (
                (("system", "--bogus", "--json"), 2, "an unknown option"),
                (("system", "--json", "--timeout", "2 hours"), 2, "a bad --timeout"),
                (("stats", "--json", "--endpoint", f"ipc://{b.dir}/nobody", "--timeout", "300ms"),
                 3, "no server"),
                (("unwatch", "[", "--json", "--endpoint", b.control), 1, "a refusal"),
                (("runs", "--json", "--store", os.path.join(b.dir, "none")), 1, "no store"),
                (("dump", "no-such-run", "--json", "--store", b.store), 1, "no run"),
                (("bogus-command", "--json"), 2, "an unknown command"),
                (("--json", "--store", os.path.join(b.dir, "none"), "runs"), 2,
                 "--store (not a common option) before the command"),
                (("--json", "--timeout", "300ms", "--endpoint", f"ipc://{b.dir}/nobody",
                  "stats"), 3, "common options before the command")):
            rc, out, err = cli(*argv)
            r.check(rc == want_rc and is_json_error(err, schema) and not out,
                    f"{what} with --json: exit {want_rc}, one reply.error object on stderr",
                    f"exit {rc}, stdout {out[:100]!r}, stderr {err[:300]!r}")
        for argv in (("system",), ("health",)):
            rc, out, err = cli(*argv, "--json", "--endpoint", b.control)
            r.check(rc == 0 and isinstance(json.loads(out or "null"), dict),
                    f"perfbus {argv[0]} --json prints one JSON object", err)
        rc, out, err = cli("--json", "--endpoint", b.control, "health")
        r.check(rc == 0 and isinstance(json.loads(out or "null"), dict),
                "perfbus --json --endpoint EP health: common options before the command", err)
        rc, out, err = cli("runs", "--json", "--store", b.store)
        runs = json.loads(out) if rc == 0 else None
        r.check(isinstance(runs, list) and runs and runs[0].get("run_id") == b.run_id,
                "perfbus runs --json lists the run", out[:200] + err)
        rc, out, err = cli("dump", b.run_id, "--json", "--store", b.store)
        lines = json_lines(out)
        r.check(rc == 0 and lines and len(lines) == 240 and all("topic" in x for x in lines),
                "perfbus dump --json: one JSON object per record", err)
        rc, out, err = cli("tail", "--json", "--count", "3", "--endpoint", b.pub, "--timeout",
                           "10s")
        lines = json_lines(out)
        r.check(rc == 0 and lines and len(lines) == 3 and all("type" in x for x in lines),
                "perfbus tail --json: one JSON object per frame", f"exit {rc}: {err}")
        rc, out, err = cli("replay", b.run_id, "--json", "--store", b.store, "--bind",
                           f"ipc://{b.dir}/replay", "--speed", "0", "--wait-ms", "0")
        lines = json_lines(out)
        events = [x.get("event") for x in lines or []]
        r.check(rc == 0 and events == ["ready", "done"] and lines[1].get("published") == 240,
                "perfbus replay --json: a ready and a done object on stdout",
                f"exit {rc}, stdout {out[:300]!r}")
        r.check(rc == 0 and not err, "perfbus replay --json leaves stderr for errors", err)


def summary_rows(text):
    """{field: row text} of a `perfbus summary` table."""
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and line.startswith("  ") and parts[0] != "field":
            rows[parts[0]] = line
    return rows


def case_tables(r):
    with Bench() as b:
        b.daemon()
        b.sub()
        r.check(b.wait_frames(12), "perfbus-sub receives frames")
        rc, out, err = cli("summary", "--endpoint", b.query)
        rows = summary_rows(out)
        r.check(rc == 0 and "e+" not in out, "no exponent form in the summary table",
                out[:400] + err)
        ctxt = rows.get("ctxt_total", "")
        r.check(re.search(r"\d,\d\d\d", ctxt), "a big counter is grouped (ctxt_total)", ctxt)
        mem = rows.get("mem.total_bytes", "")
        r.check(" GiB" in mem or " MiB" in mem, "bytes are in KiB/MiB/GiB (mem.total_bytes)",
                mem)
        busy = rows.get("cpu.total.busy_pct", "")
        r.check("%" in busy, "percentages carry % (cpu.total.busy_pct)", busy)
        rate = rows.get("ctxt_per_s", "")
        r.check("/s" in rate, "rates carry /s (ctxt_per_s)", rate)
        rc, out, err = cli("history", "--endpoint", b.query, "--field", "mem.used_bytes",
                           "--field", "ctxt_total")
        body = out.splitlines()[2:]
        r.check(rc == 0 and body and all("iB" in line and re.search(r"\d,\d\d\d", line)
                                         for line in body),
                "history rows carry units and grouping", out[:400] + err)
        rc, out, err = cli("stats", "--endpoint", b.query)
        r.check(rc == 0 and "e+" not in out, "stats has no exponent form", out)
        for last in ("1m", "1500ms", "2"):
            rc, out, err = cli("summary", "--last", last, "--endpoint", b.query, "--json")
            r.check(rc == 0 and json.loads(out).get("ok") is True,
                    f"summary --last {last} (a duration; bare: seconds) answers", err)
        rc, _, err = cli("summary", "--last", "5x", "--endpoint", b.query)
        r.check(rc == 2 and "--last" in err and "250ms" in err,
                "summary --last 5x is refused by name, with examples", err)


def case_health_bool(r):
    with Bench() as b:
        b.daemon()
        b.sub()
        rc, out, err = cli("health", "--endpoint", b.query, "--json")
        health = json.loads(out) if rc == 0 else {}
        bools = {k: v for k, v in health.items() if isinstance(v, bool) and k != "ok"}
        r.check("recording" in bools, "perfbus-sub's health has the boolean 'recording'",
                out[:300] + err)
        rc, out, err = cli("health", "--endpoint", b.query)
        r.check(rc == 0 and "nan" not in out, "perfbus health prints no nan", out)
        for key, value in bools.items():
            line = next((x for x in out.splitlines() if x.split()[:1] == [key]), "")
            r.check(line.split()[1:] == ["yes" if value else "no"],
                    f"health's {key} ({value}) prints as {'yes' if value else 'no'}", line)


def case_replay_port(r):
    with Bench(sub=False) as b:
        for json_mode in (False, True):
            argv = [CLI, "replay", b.run_id, "--store", b.store, "--bind", "tcp://127.0.0.1:*",
                    "--speed", "0", "--wait-ms", "3000"] + (["--json"] if json_mode else [])
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            first = (p.stdout if json_mode else p.stderr).readline()
            m = re.search(r"tcp://127\.0\.0\.1:(\d+)", first)
            if json_mode:
                m = re.fullmatch(r"tcp://127\.0\.0\.1:(\d+)",
                                 (json_lines(first) or [{}])[0].get("endpoint", ""))
            mode = "--json" if json_mode else "human"
            r.check(m and m.group(1) != "0", f"replay ({mode}) names the port it bound",
                    repr(first))
            got = 0
            if m:
                ctx = zmq.Context()
                sub = ctx.socket(zmq.SUB)
                sub.setsockopt(zmq.SUBSCRIBE, b"")
                sub.setsockopt(zmq.RCVHWM, 0)
                sub.connect(f"tcp://127.0.0.1:{m.group(1)}")
                while sub.poll(10000):
                    sub.recv_multipart()
                    got += 1
                    if got == 240:
                        break
                ctx.destroy(linger=0)
            p.communicate(timeout=30)
            r.check(p.returncode == 0 and got == 240,
                    f"replay ({mode}): the run's 240 records arrive at that port",
                    f"exit {p.returncode}, {got} records")


def case_ipc_takeover(r):
    with Bench(sub=False) as b:
        first = b.daemon()
        second = subprocess.Popen([pbtest.perfbusd_path(), "--pub", b.pub, "--control",
                                   b.control, "--interval", "100ms"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        try:
            _, err = second.communicate(timeout=15)
        except subprocess.TimeoutExpired:  # it runs: it took the endpoints over
            second.kill()
            _, err = second.communicate()
            err = "still running after 15 s: " + err
        r.check(second.returncode not in (0, None, -9) and "in use" in err and
                "another process" in err,
                "a second perfbusd on the same ipc paths refuses, saying why",
                f"exit {second.returncode}: {err}")
        rc, out, err = cli("health", "--endpoint", b.control, "--json")
        r.check(rc == 0 and json.loads(out).get("pid") == first.proc.pid,
                "the first perfbusd still answers on its control endpoint", out[:200] + err)
        rc, out, err = cli("tail", "--count", "1", "--json", "--endpoint", b.pub, "--timeout",
                           "5s")
        r.check(rc == 0 and json_lines(out), "the first perfbusd still publishes on its pub",
                err)
        first.kill(signal.SIGKILL)
        r.check(os.path.exists(f"{b.dir}/ctl"), "kill -9 leaves the stale socket file")
        third = b.daemon()
        rc, out, err = cli("health", "--endpoint", b.control, "--json")
        r.check(rc == 0 and json.loads(out).get("pid") == third.proc.pid,
                "a new perfbusd reuses a dead one's stale ipc paths", out[:200] + err)
        r.check(third.stop() == 0, "it stops cleanly", third.stderr())
        check_sub_query_taken(r, b)


def check_sub_query_taken(r, b):
    """perfbus-sub's --query takes the same lock: a second one on the path refuses."""
    first = b.sub()
    second = subprocess.run([pbtest.build_path("subscriber", "perfbus-sub"), "--connect", b.pub,
                             "--query", b.query, "--store", os.path.join(b.dir, "rec2")],
                            capture_output=True, text=True, timeout=15)
    r.check(second.returncode != 0 and "perfbus-sub --query" in second.stderr and
            "in use" in second.stderr,
            "a second perfbus-sub on the same --query ipc path refuses, saying why",
            f"exit {second.returncode}: {second.stderr}")
    rc, out, err = cli("health", "--endpoint", b.query, "--json")
    r.check(rc == 0 and json.loads(out).get("pid") == first.proc.pid,
            "the first perfbus-sub still answers on its --query", out[:200] + err)


ENDPOINT_COMMANDS = (("system",), ("process", "1"), ("watch", "1"), ("unwatch", "1"),
                     ("health",), ("tail",), ("history",), ("summary",), ("processes",),
                     ("stats",), ("targets",), ("profile", "t"), ("arm", "s"), ("cancel",),
                     ("results", "1"), ("simulate", "cpu"), ("register", "t"))


def case_bad_endpoint(r):
    for argv in ENDPOINT_COMMANDS:
        for ep, word in (("tcpp://127.0.0.1:1", "'tcpp'"), ("localhost:7711", "not an endpoint"),
                         ("tcp://127.0.0.1", "HOST:PORT")):
            rc, out, err = cli(*argv, "--endpoint", ep, "--timeout", "300ms")
            r.check(rc == 2 and "--endpoint" in err and word in err,
                    f"perfbus {argv[0]} --endpoint {ep}: exit 2 naming what is wrong",
                    f"exit {rc}: {err}")
    with tempfile.TemporaryDirectory() as store:
        shutil.copytree(RUN_V1, os.path.join(store, "s"))
        run = sorted(os.listdir(RUN_V1))[0]
        rc, _, err = cli("replay", run, "--store", os.path.join(store, "s"), "--bind",
                         "tcpp://127.0.0.1:*")
        r.check(rc == 2 and "--bind" in err and "'tcpp'" in err,
                "perfbus replay --bind tcpp://...: exit 2 naming the transport",
                f"exit {rc}: {err}")


def case_process_pid(r):
    rc, _, err = cli("process", "99999999", "--endpoint", "ipc:///nonexistent/ctl",
                     "--timeout", "300ms")
    r.check(rc == 1 and "no such process" in err and "99999999" in err,
            "process 99999999: no such process, exit 1", f"exit {rc}: {err}")
    for bad in ("abc", "0", "12x", "+3"):
        rc, _, err = cli("process", bad)
        r.check(rc == 2 and "is not a PID" in err and bad in err,
                f"process {bad}: it is not a PID, exit 2", f"exit {rc}: {err}")
    with Bench(sub=False) as b:
        b.daemon()
        rc, out, err = cli("process", os.getpid(), "--endpoint", b.control)
        r.check(rc == 0 and f"PID {os.getpid()}" in out, "process PID still works", err)


def case_profile_runs(r):
    nobody = "ipc:///nonexistent/profile"  # refused before any request: never reached
    for bad in ("0", "-1", "1.5", "x"):
        rc, _, err = cli("profile", "t", "--runs", bad, "--endpoint", nobody, "--timeout",
                         "300ms")
        r.check(rc == 2 and "--runs" in err and "1 or more" in err,
                f"profile --runs {bad}: refused with exit 2", f"exit {rc}: {err}")


def case_summary_field(r):
    with Bench() as b:
        b.daemon()
        b.sub()
        r.check(b.wait_frames(3), "perfbus-sub receives frames")
        for argv in (("summary",), ("history",), ("summary", "--pid", "1"),
                     ("processes", "--summary")):
            rc, out, err = cli(*argv, "--field", "nope", "--endpoint", b.query)
            r.check(rc == 2 and "'nope'" in err and "FIELDS.md" in err and "cpu" in err,
                    f"perfbus {' '.join(argv)} --field nope: exit 2 naming it and the valid ones",
                    f"exit {rc}: {out[:200]} {err}")
        for field in ("uptime_s", "cpu.total", "mem"):
            rc, out, err = cli("summary", "--field", field, "--endpoint", b.query, "--json")
            keys = list(json.loads(out).get("summary", {})) if rc == 0 else []
            r.check(keys and all(k == field or k.startswith(field + ".") for k in keys),
                    f"summary --field {field} still selects", f"exit {rc}: {err}")


def case_store_paths(r):
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PERFBUS_STORE", "XDG_STATE_HOME")}
        env["HOME"] = home
        default = os.path.join(home, ".local/state/perfbus")
        rc, out, err = cli("runs", env=env, cwd=home)
        r.check(rc == 1 and default in err and "PERFBUS_STORE" in err and not out,
                "runs with no store: exit 1 naming the default path and $PERFBUS_STORE",
                f"exit {rc}: {out[:200]} {err}")
        missing = os.path.join(home, "elsewhere")
        rc, out, err = cli("runs", "--store", missing, env=env, cwd=home)
        r.check(rc == 1 and missing in err and "--store" in err,
                "runs --store DIR that is missing: exit 1 naming DIR", f"exit {rc}: {err}")
        rc, _, err = cli("dump", "run-x", env=env, cwd=home)
        r.check(rc == 1 and default in err and "PERFBUS_STORE" in err and "run-x" in err,
                "dump RUN without $PERFBUS_STORE names the store it looked in",
                f"exit {rc}: {err}")
        env["PERFBUS_STORE"] = missing
        rc, _, err = cli("dump", "run-x", env=env, cwd=home)
        r.check(rc == 1 and missing in err and "from $PERFBUS_STORE" in err,
                "dump RUN with $PERFBUS_STORE names it as the origin", f"exit {rc}: {err}")
        shutil.copytree(RUN_V1, missing)
        rc, out, err = cli("runs", env=env, cwd=home)
        r.check(rc == 0 and sorted(os.listdir(RUN_V1))[0] in out, "runs lists an existing store",
                err)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        pbtest.fail_now(f"usage: test_cli_papercuts.py {'|'.join(CASES)}")
    r = pbtest.Results(f"cli.{sys.argv[1]}")
    CASES[sys.argv[1]](r)
    r.finish()


if __name__ == "__main__":
    main()
