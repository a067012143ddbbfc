#!/usr/bin/python3
"""install.prefix: `cmake --install` into a temporary prefix gives a usable perfbus.

- binaries, libperfbus, perfbus.h, perfbus.pc, man pages, systemd units and the sample
  settings are where GNUInstallDirs puts them under the prefix;
- `pkg-config --cflags --libs perfbus` (PKG_CONFIG_PATH = the prefix's) compiles and links
  the example of schemas/PROFILING.md, and the program runs against the installed library;
- `pkg-config --static --libs perfbus` links it with libperfbus.a instead: the program runs
  with no libperfbus.so to be found and has none among its libraries;
- bash completion for every binary is installed and is what the build generated;
- every man page renders with `man -l`, and each binary's page names every option its
  --help lists (the CLI's page every command's options too);
- `systemd-analyze verify` accepts every unit (with MANPATH on the installed pages, so
  their Documentation= links are checked too);
- the installed perfbusd and perfbus-sub start with the installed sample settings.
"""

import os
import re
import shutil
import subprocess
import tempfile

import pbtest

SOURCE = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def profiling_example():
    """PROFILING.md's first C block as a program: file-scope lines stay, the rest is main."""
    text = open(os.path.join(SOURCE, "schemas", "PROFILING.md")).read()
    block = re.search(r"```c\n(.*?)```", text, re.S).group(1).splitlines()
    head = [line for line in block if line.startswith(("#include", "static "))]
    body = [line for line in block if line not in head]
    return "\n".join(["#include <stdio.h>", *head, "#define handle(r) ((void)(r))",
                      "int main(void)", "{", "    int request = 0;", *body, "    return 0;",
                      "}", ""])


def check_layout(r, prefix):
    want = ["sbin/perfbusd", "bin/perfbus-sub", "bin/perfbus-report", "bin/perfbus",
            "lib/libperfbus.so", "lib/libperfbus.a", "include/perfbus.h", "lib/pkgconfig/perfbus.pc",
            "share/man/man1/perfbusd.1", "share/man/man3/libperfbus.3",
            "share/man/man5/perfbus.conf.5", "share/man/man5/perfbus-store.5",
            "lib/systemd/system/perfbusd.service", "lib/systemd/system/perfbus-sub.service",
            "lib/systemd/system/perfbus-report.service", "lib/systemd/system/perfbus-report.timer",
            "etc/perfbus/perfbusd.conf", "etc/perfbus/perfbus-sub.conf"]
    completions = ["perfbusd", "perfbus-sub", "perfbus-report", "perfbus"]
    want += [f"share/bash-completion/completions/{c}" for c in completions]
    missing = [w for w in want if not os.path.exists(os.path.join(prefix, w))]
    r.check(not missing, "everything is installed under the prefix", f"missing: {missing}")
    differ = [c for c in completions if not missing and
              open(os.path.join(prefix, "share", "bash-completion", "completions", c)).read()
              != open(os.path.join(os.environ["PB_BUILD"], "completion", c)).read()]
    r.check(not differ, "the completions installed are the ones generated", f"differ: {differ}")


def check_pkg_config(r, prefix, tmp):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "perfbus"], env=env)
    incs = [os.path.realpath(w[2:]) for w in flags.stdout.split() if w.startswith("-I")]
    r.check(flags.returncode == 0 and "-lperfbus" in flags.stdout.split()
            and incs[:1] == [os.path.realpath(os.path.join(prefix, "include"))],
            "pkg-config points into the prefix", flags.stdout + flags.stderr)
    src = os.path.join(tmp, "example.c")
    with open(src, "w") as f:
        f.write(profiling_example())
    exe = os.path.join(tmp, "example")
    # the ASan build's libperfbus needs the sanitizer runtime in the program too
    sanitize = ["-fsanitize=address,undefined"] if pbtest.sanitized_build() else []
    cc = run(["cc", *sanitize, "-o", exe, src, *flags.stdout.split()], env=env)
    if not r.check(cc.returncode == 0, "PROFILING.md's example builds with pkg-config's flags",
                   cc.stderr[-800:]):
        return
    out = run([exe], env=dict(env, LD_LIBRARY_PATH=os.path.join(prefix, "lib")))
    r.check(out.returncode == 0 and out.stdout.startswith("tcp://127.0.0.1:"),
            "and runs against the installed libperfbus, printing its endpoint",
            f"exit {out.returncode}: {out.stdout[:200]} {out.stderr[-300:]}")
    check_static(r, prefix, tmp, env, src, sanitize)


def check_static(r, prefix, tmp, env, src, sanitize):
    flags = run(["pkg-config", "--static", "--cflags", "--libs", "perfbus"], env=env)
    words = flags.stdout.split()
    r.check(flags.returncode == 0 and "-lperfbus" in words and "-lmsgpackc" in words,
            "pkg-config --static names libperfbus's private libraries", flags.stdout + flags.stderr)
    # -Bstatic for libperfbus only: the system's libraries stay shared, as a distribution has them
    words = [w for x in words for w in
             (["-Wl,-Bstatic", "-lperfbus", "-Wl,-Bdynamic"] if x == "-lperfbus" else [x])]
    exe = os.path.join(tmp, "example-static")
    cc = run(["cc", *sanitize, "-o", exe, src, *words], env=env)
    if not r.check(cc.returncode == 0, "PROFILING.md's example links libperfbus.a statically",
                   cc.stderr[-800:]):
        return
    out = run([exe], env={k: v for k, v in env.items() if k != "LD_LIBRARY_PATH"})
    ldd = run(["ldd", exe])
    r.check(out.returncode == 0 and out.stdout.startswith("tcp://127.0.0.1:")
            and "libperfbus" not in ldd.stdout,
            "and runs with no libperfbus.so (ldd lists none)",
            f"exit {out.returncode}: {out.stdout[:200]} {out.stderr[-300:]} {ldd.stdout}")


def rendered(page):
    p = run(["man", "-E", "ascii", "-l", page], env=dict(os.environ, MANWIDTH="100"))
    return p.returncode, p.stdout, p.stderr


def options_of(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def check_man(r, prefix):
    for section in ("man1", "man3", "man5"):
        d = os.path.join(prefix, "share", "man", section)
        for name in sorted(os.listdir(d)):
            rc, out, err = rendered(os.path.join(d, name))
            r.check(rc == 0 and len(out) > 200, f"man -l renders {section}/{name}", err[-300:])
    binaries = {"perfbusd": "sbin", "perfbus-sub": "bin", "perfbus-report": "bin", "perfbus": "bin"}
    for name, where in binaries.items():
        exe = os.path.join(prefix, where, name)
        helps = run([exe, "--help"]).stdout + run([exe, "--help"]).stderr
        if name == "perfbus":
            for cmd in re.findall(r"^  ([a-z]+)  ", helps, re.M):
                helps += run([exe, cmd, "--help"]).stdout + run([exe, cmd, "--help"]).stderr
        _, page, _ = rendered(os.path.join(prefix, "share", "man", "man1", f"{name}.1"))
        missing = sorted(options_of(helps) - options_of(page))
        r.check(options_of(helps) and not missing,
                f"{name}(1) names every option of its --help ({len(options_of(helps))})",
                f"missing: {missing}")


def check_units(r, prefix):
    d = os.path.join(prefix, "lib", "systemd", "system")
    env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"))
    for unit in sorted(os.listdir(d)):
        p = run(["systemd-analyze", "verify", os.path.join(d, unit)], env=env)
        r.check(p.returncode == 0 and not p.stderr.strip(), f"systemd-analyze verify {unit}",
                p.stderr[-500:])
        text = open(os.path.join(d, unit)).read()
        for exe in re.findall(r"^ExecStart=(\S+)", text, re.M):
            r.check(exe.startswith(prefix) and os.access(exe, os.X_OK),
                    f"{unit} starts the installed {os.path.basename(exe)}", exe)


def check_start(r, prefix, tmp):
    conf = os.path.join(prefix, "etc", "perfbus")
    d = pbtest.Proc([os.path.join(prefix, "sbin", "perfbusd"), "--config",
                     os.path.join(conf, "perfbusd.conf"), "--pub", f"ipc://{tmp}/pub",
                     "--control", f"ipc://{tmp}/ctl"], "perfbusd: ready")
    s = pbtest.Proc([os.path.join(prefix, "bin", "perfbus-sub"), "--config",
                     os.path.join(conf, "perfbus-sub.conf"), "--connect", f"ipc://{tmp}/pub",
                     "--query", f"ipc://{tmp}/query", "--store", os.path.join(tmp, "store")],
                    "perfbus-sub: ready")
    p = run([os.path.join(prefix, "bin", "perfbus"), "stats", "--endpoint", f"ipc://{tmp}/query"])
    r.check(p.returncode == 0 and "frames" in p.stdout,
            "the installed daemons start with the sample settings and answer",
            p.stdout[-300:] + p.stderr[-300:])
    r.check(s.stop() == 0 and d.stop() == 0, "and stop cleanly", s.stderr() + d.stderr())


def main():
    r = pbtest.Results("install.prefix")
    for tool in ("pkg-config", "man", "systemd-analyze", "cc"):
        if not shutil.which(tool):
            r.fatal(f"{tool} is missing: scripts/deps.sh installs it")
    tmp = tempfile.mkdtemp(prefix="pbinstall-")
    prefix = os.path.join(tmp, "prefix")
    try:
        p = run(["cmake", "--install", pbtest.build_path(), "--prefix", prefix])
        if not r.check(p.returncode == 0, "cmake --install --prefix succeeds", p.stderr[-800:]):
            r.finish()
        check_layout(r, prefix)
        check_pkg_config(r, prefix, tmp)
        check_man(r, prefix)
        check_units(r, prefix)
        check_start(r, prefix, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
