#!/usr/bin/env python3
"""perfbus-report HTML: parses with html.parser, is self-contained (no URL, no script),
has one SVG per chart with hover titles, and a phone-width Chromium screenshot is not blank."""

import os
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
import test_report_lib as lib  # noqa: E402

VOID = {"meta", "br", "img", "hr", "input", "link", "source", "wbr", "col", "area", "base"}
SVG_EMPTY = {"line", "rect", "path", "polyline", "circle"}
URL_ATTRS = {"href", "src", "xlink:href", "action", "srcset", "poster", "data"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.urls = [], [], {}, []
        self.titles, self.in_svg_title, self.style = [], False, ""
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in URL_ATTRS or (value and ("://" in value or value.startswith("//"))):
                self.urls.append((tag, name, value))
        if tag == "title" and "svg" in self.stack:
            self.in_svg_title = True
        self.in_style = tag == "style"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        self.in_svg_title = self.in_style = False

    def handle_data(self, data):
        if self.in_svg_title:
            self.titles.append(data)
        if self.in_style:
            self.style += data


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG, unfiltered."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or ctype not in (2, 6):
        raise ValueError(f"unexpected PNG type depth={depth} color={ctype}")
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def screenshot(r, html, tmp):
    chromium = lib.need_tool("chromium")
    shot = os.path.join(tmp, "shot.png")
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-quic", f"--user-data-dir={os.path.join(tmp, 'chromium')}",
            f"--screenshot={shot}", "--window-size=412,900", "file://" + html]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if not r.check(out.returncode == 0 and os.path.exists(shot), "chromium took a screenshot",
                   out.stderr[-600:]):
        return
    width, height, bpp, rows = png_pixels(shot)
    r.check((width, height) == (412, 900), "screenshot is phone-sized", f"{width}x{height}")
    colours, ink = set(), 0
    for row in rows[::3]:
        for x in range(0, width * bpp, bpp * 3):
            px = bytes(row[x:x + 3])
            colours.add(px)
            ink += px != b"\xff\xff\xff"
    r.check(len(colours) > 20, "screenshot has many colours (not blank)", str(len(colours)))
    r.check(ink > 2000, "screenshot has ink (not a white page)", str(ink))


def main():
    r = pbtest.Results("report.html")
    tmp = lib.tempdir("pbrep-html-")
    try:
        run = lib.synth(os.path.join(tmp, "store"), "--samples", 3600, "--procs", 10,
                        "--spike-at", 1234, "--profiles")
        html = os.path.join(tmp, "r.html")
        out = lib.report(run, "--format", "html", "--out", html)
        r.check(out.returncode == 0, "perfbus-report exits 0", out.stderr)
        with open(html, encoding="utf-8") as f:
            text = f.read()
        page = Page()
        page.feed(text)
        page.close()
        r.check(not page.errors and not page.stack, "tags are balanced",
                str(page.errors[:3] + page.stack))
        r.check(page.tags.get("svg") == 7,
                "one <svg> per chart (4 system + 2 process + 1 flame graph)",
                str(page.tags.get("svg")))
        r.check(page.tags.get("figure") == page.tags.get("svg"), "each chart is a figure")
        r.check(not page.urls, "no URL in any attribute", str(page.urls[:3]))
        for bad in ("script", "link", "img", "iframe", "object", "embed"):
            r.check(bad not in page.tags, f"no <{bad}> element")
        r.check("url(" not in page.style and "@import" not in page.style, "CSS fetches nothing")
        r.check("http" not in text, "no http anywhere in the file")
        r.check("width:100%" in page.style.replace(" ", ""), "charts scale to the page width")
        r.check('content="width=device-width, initial-scale=1"' in text, "phone viewport")
        r.check("日本語プロセス" in text and "naïve-wörker" in text, "UTF-8 names are kept")
        r.check("&lt;script&gt;x&lt;/script&gt;" in text, "markup in names is escaped")
        r.check(any(t.startswith("python3 (1009)") for t in page.titles),
                "lines have hover titles", str(page.titles[:8]))
        r.check("user" in page.titles and "steal" in page.titles, "stacked areas have titles")
        r.check("split_a - 70 samples (70.00 %), 0.7000 s" in page.titles,
                "flame boxes hover with name, samples and time", str(page.titles[-4:]))
        r.check("Ωmega_helper" in text and "demo_fib" in text, "profiles are in the page")
        points = [len(line.split('points="')[1].split('"')[0].split())
                  for line in text.splitlines() if "<polyline" in line]
        r.check(points and max(points) <= 602, "lines are downsampled to <= 602 points",
                str(max(points or [0])))
        screenshot(r, html, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
