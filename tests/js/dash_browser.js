// dash.browser's driver: Debian's chromium, driven by playwright-core, against a live perfbus-sub.
// Prints one JSON object per line for tests/py/test_dash_browser.py, which judges them.
// env: PB_PLAYWRIGHT (the playwright-core module dir), PB_DASH_URL, PB_DASH_OUT, PB_DASH_HOSTS "a,b".
"use strict";
let chromium;
try {
  ({ chromium } = require(process.env.PB_PLAYWRIGHT));
} catch (e) {
  console.log(JSON.stringify({ kind: "fatal", what: "playwright-core is not installed at " +
    process.env.PB_PLAYWRIGHT + " (run `sh scripts/deps.sh web BUILD`): " + e.message }));
  process.exit(1);
}
const out = (o) => console.log(JSON.stringify(o));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [first, second] = process.env.PB_DASH_HOSTS.split(",");

// Every new newest point of the CPU chart during ms, with the wall time it was first seen.
async function watch(page, host, ms) {
  const end = Date.now() + ms;
  let last = null;
  while (Date.now() < end) {
    const n = await page.evaluate(() => window.__perfbus && window.__perfbus.newest("cpu"));
    if (n && n.seq != null && n.seq !== last) {
      last = n.seq;
      out({ kind: "seen", host, seq: n.seq, busy: n.values.busy, t: Date.now() / 1000,
            drawn: n.drawn === n.t, page_host: await page.evaluate(() => window.__perfbus.state.host) });
    }
    await sleep(25);
  }
}

async function hover(page) {
  const over = await page.$("#chart-cpu .u-over");
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2);
  await sleep(300);
  const r = await page.evaluate(() => {
    const c = window.__perfbus.state.charts.cpu;
    const idx = c.u.cursor.idx;
    const labels = [...document.querySelectorAll("#chart-cpu .u-legend .u-series")].map((tr) => ({
      label: tr.querySelector(".u-label").textContent, value: tr.querySelector(".u-value").textContent }));
    const col = c.def.series.length + 1; // the busy line's column in raw
    return { idx, labels, t: idx == null ? null : c.raw[0][idx], busy: idx == null ? null : c.raw[col][idx] };
  });
  out(Object.assign({ kind: "hover" }, r));
}

// The process table: rows, and sorting by RSS (a click on its header) orders them by RSS. The
// RSS of each row is the one it was drawn with (events that came since are not drawn yet).
async function table(page) {
  await page.waitForFunction(() => document.querySelectorAll("#procs tbody tr").length > 0, null, { timeout: 10000 });
  await page.click('#procs th[data-k="rss_bytes"]');
  const r = await page.evaluate(() => {
    const st = window.__perfbus.state;
    const shown = [...document.querySelectorAll("#procs tbody tr")].map((tr) => Number(tr.cells[0].textContent));
    const drawn = st.shownProcs || [];
    const same = shown.length === drawn.length && shown.every((pid, i) => drawn[i].pid === pid);
    return { rows: shown.length, sort: st.sort, rss: same ? drawn.map((p) => p.rss_bytes) : ["rows differ from the last draw"] };
  });
  out(Object.assign({ kind: "table" }, r));
}

async function pause(page) {
  await page.click("#pause");
  const before = await page.evaluate(() => window.__perfbus.draws);
  await sleep(1500);
  const during = await page.evaluate(() => window.__perfbus.draws);
  await page.click("#pause");
  await sleep(1500);
  const after = await page.evaluate(() => window.__perfbus.draws);
  out({ kind: "pause", before, during, after, label: await page.textContent("#pause") });
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => out({ kind: "pageerror", message: e.message }));
  await page.goto(process.env.PB_DASH_URL + "/?host=" + first);
  await page.waitForFunction(() => window.__perfbus && window.__perfbus.newest("cpu"), null, { timeout: 20000 });
  await watch(page, first, 5000);
  await hover(page);
  await table(page);
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header at the top of the picture
  await page.screenshot({ path: process.env.PB_DASH_OUT + "/dash-1280.png", fullPage: true });
  await page.selectOption("#host", second);
  await page.waitForFunction((h) => window.__perfbus.state.host === h && window.__perfbus.newest("cpu"), second, { timeout: 20000 });
  out({ kind: "switched", url: page.url(), options: await page.$$eval("#host option", (os) => os.map((o) => o.value)) });
  await watch(page, second, 4000);
  await pause(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(800);
  out({ kind: "narrow", scroll_width: await page.evaluate(() => document.documentElement.scrollWidth) });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: process.env.PB_DASH_OUT + "/dash-390.png", fullPage: true });
  await browser.close();
  out({ kind: "done" });
})().catch((e) => {
  out({ kind: "fatal", what: String(e && e.stack || e) });
  process.exit(1);
});
