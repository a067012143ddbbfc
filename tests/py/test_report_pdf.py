#!/usr/bin/env python3
"""perfbus-report PDF: qpdf --check, every page renders (pdftoppm), the text holds the
cover, summary, page numbers, process names and profiles, and no word leaves its page."""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
import test_report_lib as lib  # noqa: E402

LONG = "a-process-name-that-is-far-too-long-for-any-table-cell-in-the-report"


class Words(HTMLParser):
    """Word boxes of pdftotext -bbox: [(page_width, xmax, ymax, page_height, word)]."""

    def __init__(self):
        super().__init__()
        self.page, self.words, self.current = None, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "page":
            self.page = (float(a["width"]), float(a["height"]))
        elif tag == "word":
            self.current = (float(a["xmax"]), float(a["ymax"]))

    def handle_data(self, data):
        if self.current:
            self.words.append((self.page[0], self.current[0], self.current[1], self.page[1],
                               data))
            self.current = None


def main():
    r = pbtest.Results("report.pdf")
    for tool in ("qpdf", "pdftotext", "pdftoppm", "pdfinfo"):
        lib.need_tool(tool)
    tmp = lib.tempdir("pbrep-pdf-")
    try:
        run = lib.synth(os.path.join(tmp, "store"), "--samples", 900, "--procs", 12,
                        "--spike-at", 450, "--lose-every", 100, "--profiles")
        pdf = os.path.join(tmp, "r.pdf")
        out = lib.report(run, "--format", "pdf", "--out", pdf)
        r.check(out.returncode == 0, "perfbus-report exits 0", out.stderr)
        r.check(out.stdout.strip() == pdf, "prints the output path", out.stdout)
        q = subprocess.run(["qpdf", "--check", pdf], capture_output=True, text=True)
        r.check(q.returncode == 0, "qpdf --check passes", q.stdout[-400:] + q.stderr)
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        r.check(pages >= 5, "cover, summary, charts and tables take >= 5 pages", str(pages))
        ppm = subprocess.run(["pdftoppm", "-r", "40", "-png", pdf, os.path.join(tmp, "pg")],
                             capture_output=True, text=True)
        r.check(ppm.returncode == 0 and not ppm.stderr.strip(), "pdftoppm renders without error",
                ppm.stderr)
        pngs = [f for f in os.listdir(tmp) if f.startswith("pg") and f.endswith(".png")]
        r.check(len(pngs) == pages, "pdftoppm wrote every page", f"{len(pngs)} of {pages}")
        r.check(all(os.path.getsize(os.path.join(tmp, p)) > 1000 for p in pngs),
                "no rendered page is empty")
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True).stdout
        check_text(r, text, pages)
        check_boxes(r, pdf)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


def check_text(r, text, pages):
    frames = 900 * (2 + 12) + 3  # and three prof frames (their own src and seq)
    lost = (900 * 14 - 1) // 100
    for want in ("perfbus report", "synth", f"Frames {frames}", f"Lost frames {lost}",
                 "2026-01-01 00:00:00 UTC", "Sampling interval", "Summary - synth",
                 "CPU by state", "Memory", "Disk read/write", "Network rx/tx",
                 "Top processes by CPU", "Top processes by RSS", "time (UTC)", "MiB/s",
                 "97.00 %", "naïve-wörker", "<script>x</script>", "?" * 7, "Profiles",
                 "split (sampling) - synth", "Self %", "Total %", "split_a 50.00 70.00",
                 "Flame graph", "?mega_helper", "fib (tracing) - synth", "cumtime s",
                 "demo_fib 635621/1"):
        r.check(want in re.sub(r"[ \t]+", " ", text), f"PDF text holds {want!r}")
    r.check(re.search(r"Sampling interval\s+1 ?s\b", text) is not None, "interval is 1 s")
    for p in range(1, pages + 1):
        r.check(f"page {p} of {pages}" in text, f"page number {p} of {pages}")
    r.check(LONG not in text, "the over-long process name is cut")
    r.check(re.search(r"a-process-name-that-is-far-too-long[a-z-]*\.\.\.", text) is not None,
            "and ends with an ellipsis")
    r.check("日本" not in text and "Ω" not in text, "non-Latin-1 text was replaced")
    r.check("broken" not in text, "a failed profile job is left out")


def check_boxes(r, pdf):
    html = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True,
                          text=True).stdout
    words = Words()
    words.feed(html)
    r.check(len(words.words) > 500, "pdftotext -bbox found the words", str(len(words.words)))
    outside = [w for w in words.words if w[1] > w[0] - 30 or w[2] > w[3] - 10]
    r.check(not outside, "no word runs into the page edge", str(outside[:5]))


if __name__ == "__main__":
    main()
