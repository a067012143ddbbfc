#!/usr/bin/python3
"""contract.catalog_literals: no frame field is named by a string literal outside the catalogue.

Issue 10: "a field name such as busy_pct appears as a literal only in the catalogue (and in
tests and docs), not in subscriber/, reporter/ or cli/ sources". Every C string literal of
those folders (comments removed) is checked against schemas/pb_catalog.def, read by the same
parser as gen_schemas.py: a literal fails when it holds, as a whole word (not inside a longer
name or path: "%s.busy_pct" and "proc.cpu_pct [%]" hold one, "cpu_pct_since" does not)
- a catalogued path that steps into a map or list ("cpu.total.busy_pct", "mem.used_bytes",
  "cpu.cores"), of any frame type, or
- the name of a counter, gauge or rate that holds a '_' or a digit ("busy_pct", "rss_bytes",
  "uptime_s", "avg1").
Single-word metric names (threads, nice, fds, total, running, blocked) are not checked: the
same words are keys of other contracts (a profile result's "threads" and "total", a job's
state "running"), so a literal of them names nothing for sure. Attrs and flags (pid, comm,
gone, first) are not checked either: they identify a frame rather than measure, and are
request arguments too. Such code takes them from the views (schemas/pb_view.def) instead.

reporter/pb_synth.c is test data (the issue: "and in tests"): perfbus-synth writes the frames
perfbusd would, for the report's tests and the demo, with values the tests predict per field,
so it names its fields as a test does; unit.pb_synth checks every key it writes against the
catalogue (name, place and JSON type). It is the one file exempted whole; its names are
still counted, so the exemption fails once it has none.

The other exemptions below are reply keys of other contracts that happen to equal a field name;
each is listed with its reason (by file and name), and the test fails if an exemption is no longer needed, so
the list cannot rot. Before it checks the tree, the scanner is run on a sample it must catch.
"""

import glob
import os
import re
import sys

import gen_schemas
import pbtest

FOLDERS = ("subscriber", "reporter", "cli")
METRIC_KINDS = ("counter", "gauge", "rate")
# Whole files: test data (see above).
EXEMPT_FILES = {
    "reporter/pb_synth.c": "synthetic frames for tests and the demo, checked by unit.pb_synth",
}
# (file, literal): why it is not a frame field.
EXEMPT = {
    ("cli/pb_cli_sub.c", "cpu.total"):
        "perfbus history's usage text gives a dotted prefix as an example: documentation",
    ("subscriber/pb_query.c", "uptime_s"):
        "perfbus-sub's own uptime in its health reply (reply.health), not a frame's",
    ("subscriber/pb_sub.c", "uptime_s"):
        "perfbus-sub's own uptime in its settings reply, not a frame's",
}
# A string literal, a comment, or a character literal, in the order they appear.
TOKEN = re.compile(r'"((?:[^"\\\n]|\\.)*)"|/\*.*?\*/|//[^\n]*|\'(?:[^\'\\\n]|\\.)*\'', re.S)


def forbidden():
    """{literal: what it names} of the catalogue."""
    names = {}
    for f in gen_schemas.FIELDS:
        if "." in f.path or "[]" in f.path:
            names.setdefault(f.path, f"{f.frame} path")
        if f.kind in METRIC_KINDS and re.search(r"[_0-9]", f.name):
            names.setdefault(f.name, f"{f.kind} {f.frame}.{f.path}")
    return names


def literals(text):
    """(line, literal) of every string literal of C source text, comments skipped."""
    for m in TOKEN.finditer(text):
        if m.group(0).startswith('"'):
            yield text.count("\n", 0, m.start()) + 1, m.group(1)


def word_pattern(names):
    """Any of names as a whole word: no name character before it, none (or '[') after."""
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_\[])" % alts)


def hits(rel, text, names, pattern):
    return [(rel, line, m.group(1), names[m.group(1)]) for line, s in literals(text)
            for m in pattern.finditer(s)]


def check_scanner(r, names, pattern):
    sample = ('/* "busy_pct" in a comment */ x("mem.used_bytes"); // "rss_bytes"\n'
              'y("threads", \'"\', "busy_pct", "cpu_pct_since", "%s.cpu_pct [%%]");\n')
    got = [(line, s) for _, line, s, _ in hits("sample.c", sample, names, pattern)]
    r.check(got == [(1, "mem.used_bytes"), (2, "busy_pct"), (2, "cpu_pct")],
            "the scanner finds names in literals and skips comments", str(got))
    r.check(len(names) > 150, "the catalogue gives the names to look for", str(len(names)))


def main():
    r = pbtest.Results("contract.catalog_literals")
    names = forbidden()
    pattern = word_pattern(names)
    check_scanner(r, names, pattern)
    used = set()
    for folder in FOLDERS:
        files = sorted(glob.glob(os.path.join(pbtest.SOURCE, folder, "*.[ch]")))
        r.check(files, f"{folder}/ has sources to check")
        bad = []
        for path in files:
            rel = os.path.relpath(path, pbtest.SOURCE)
            with open(path, encoding="utf-8") as f:
                for hit in hits(rel, f.read(), names, pattern):
                    if rel in EXEMPT_FILES:
                        used.add(rel)
                    elif (hit[0], hit[2]) in EXEMPT:
                        used.add((hit[0], hit[2]))
                    else:
                        bad.append(hit)
        detail = "; ".join(f"{rel}:{line}: \"{s}\" ({what})" for rel, line, s, what in bad)
        r.check(not bad, f"{folder}/ names no catalogued field by a literal", detail)
    for rel, why in EXEMPT_FILES.items():
        r.check(rel in used, f"exemption of {rel} still needed", why)
    for key, why in EXEMPT.items():
        r.check(key in used, f"exemption {key[0]} \"{key[1]}\" still needed", why)
    r.finish()


if __name__ == "__main__":
    sys.exit(main())
