#!/usr/bin/python3
"""cli.completion: the generated bash completion offers what each binary's --help lists.

Each file of $PB_BUILD/completion/ is sourced in a bash without rc files (no bash-completion
package needed) and its function driven as readline would: COMP_WORDS and COMP_CWORD set,
COMPREPLY read back.
- `perfbus <TAB>` offers every command of `perfbus --help`, and --version;
- `perfbus-sub --ke<TAB>` offers exactly --keep-days and --keep-gb; `perfbusd --int<TAB>`
  --interval; `perfbus-report --ev<TAB>` --every; `perfbus system --t<TAB>` --timeout;
- `NAME --<TAB>` offers every option NAME --help names (and `perfbus CMD --<TAB>` every option
  of `perfbus CMD --help`): one source of truth;
- after an option taking a directory (perfbus-sub --store) directories are offered, after one
  taking a file (--config) files, after other values (--keep-gb) nothing;
- `complete -p NAME` shows the function registered for the binary's name.
"""

import os
import re
import shlex
import subprocess
import tempfile

import pbtest

BINARIES = {"perfbusd": ("publisher", "perfbusd"), "perfbus-sub": ("subscriber", "perfbus-sub"),
            "perfbus-report": ("reporter", "perfbus-report"), "perfbus": ("cli", "perfbus")}


def complete(name, words, cwd=None):
    """COMPREPLY for the command line `words` (the last is the word being completed)."""
    script = os.path.join(os.environ["PB_BUILD"], "completion", name)
    fn = "_" + re.sub(r"[^a-z0-9]", "_", name)
    line = " ".join(shlex.quote(w) for w in words)
    prog = (f"source {shlex.quote(script)}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
            f"{fn}; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], capture_output=True,
                       text=True, timeout=30, cwd=cwd)
    if p.returncode != 0 or p.stderr:
        return None, p.stderr
    return sorted(w for w in p.stdout.split("\n") if w), ""


def help_options(argv):
    p = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=30)
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", p.stdout + p.stderr))


def check_registered(r, name):
    script = os.path.join(os.environ["PB_BUILD"], "completion", name)
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                        f"source {shlex.quote(script)}; complete -p {name}"],
                       capture_output=True, text=True, timeout=30)
    r.check(p.returncode == 0 and p.stdout.strip().endswith(f" {name}") and "-F _" in p.stdout,
            f"complete -p {name} shows its function", p.stdout + p.stderr)


def check_every_option(r, name, exe):
    got, err = complete(name, [name, "--"])
    want = help_options([exe])
    r.check(got is not None and want and want == set(got),
            f"{name} --<TAB> offers every option its --help names ({len(want)})",
            f"{err} missing {sorted(want - set(got or []))} extra {sorted(set(got or []) - want)}")


def check_cli(r, exe):
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    commands = re.findall(r"^  ([a-z]+)  ", p.stdout, re.M)
    got, err = complete("perfbus", ["perfbus", ""])
    r.check(got is not None and commands and set(commands) <= set(got) and "--version" in got,
            f"perfbus <TAB> offers its {len(commands)} commands and --version", f"{err} {got}")
    got, err = complete("perfbus", ["perfbus", "sy"])
    r.check(got == ["system"], "perfbus sy<TAB> is system", f"{err} {got}")
    got, err = complete("perfbus", ["perfbus", "system", "--t"])
    r.check(got == ["--timeout"], "perfbus system --t<TAB> is --timeout", f"{err} {got}")
    for cmd in commands:
        got, err = complete("perfbus", ["perfbus", cmd, "--"])
        want = help_options([exe, cmd]) | {"--help"}
        r.check(got is not None and want == set(got),
                f"perfbus {cmd} --<TAB> offers the options of its --help", f"{err} {got} {want}")


def check_values(r, tmp):
    os.mkdir(os.path.join(tmp, "somedir"))
    open(os.path.join(tmp, "somefile.conf"), "w").close()
    got, err = complete("perfbus-sub", ["perfbus-sub", "--store", "some"], cwd=tmp)
    r.check(got == ["somedir"], "perfbus-sub --store <TAB> offers directories", f"{err} {got}")
    got, err = complete("perfbus-sub", ["perfbus-sub", "--config", "some"], cwd=tmp)
    r.check(got == ["somedir", "somefile.conf"], "--config <TAB> offers files", f"{err} {got}")
    got, err = complete("perfbus-sub", ["perfbus-sub", "--keep-gb", ""], cwd=tmp)
    r.check(got == [], "--keep-gb <TAB> offers nothing (a size)", f"{err} {got}")
    got, err = complete("perfbus-report", ["perfbus-report", "some"], cwd=tmp)
    r.check(got == ["somedir"], "perfbus-report <TAB> offers run directories", f"{err} {got}")


def main():
    r = pbtest.Results("cli.completion")
    exes = {name: pbtest.build_path(*where) for name, where in BINARIES.items()}
    for name in BINARIES:
        check_registered(r, name)
    got, err = complete("perfbus-sub", ["perfbus-sub", "--ke"])
    r.check(got == ["--keep-days", "--keep-gb"], "perfbus-sub --ke<TAB>", f"{err} {got}")
    got, err = complete("perfbusd", ["perfbusd", "--int"])
    r.check(got == ["--interval"], "perfbusd --int<TAB>", f"{err} {got}")
    got, err = complete("perfbus-report", ["perfbus-report", "--ev"])
    r.check(got == ["--every"], "perfbus-report --ev<TAB>", f"{err} {got}")
    for name in ("perfbusd", "perfbus-sub", "perfbus-report"):
        check_every_option(r, name, exes[name])
    check_cli(r, exes["perfbus"])
    with tempfile.TemporaryDirectory(prefix="pbcomp-") as tmp:
        check_values(r, tmp)
    r.finish()


if __name__ == "__main__":
    main()
