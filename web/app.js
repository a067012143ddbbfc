"use strict";
// perfbus dashboard: a window of history from /api/history, then each new sample from /events
// (server-sent events), drawn with uPlot. Plain JS, no framework; everything is served by perfbus-sub.
(function () {
  const $ = (s) => document.querySelector(s);
  const FIELDS = ["cpu.total", "mem", "disk.total", "net.total", "load"];
  const MAX_POINTS = 20000; // per series, for the "all" window
  const unit = (v, units, k) => {
    let i = 0;
    while (Math.abs(v) >= k && i < units.length - 1) { v /= k; i++; }
    return v.toFixed(i && Math.abs(v) < 10 ? 2 : 1) + " " + units[i];
  };
  const bytes = (v) => (v == null ? "-" : unit(v, ["B", "KiB", "MiB", "GiB", "TiB"], 1024));
  const rate = (v) => (v == null ? "-" : bytes(v) + "/s");
  const pct = (v) => (v == null ? "-" : v.toFixed(1) + " %");
  const num = (v) => (v == null ? "-" : v.toFixed(2));
  const add = (...xs) => (xs.some((x) => x == null) ? null : xs.reduce((a, b) => a + b, 0));
  const OTHER = ["nice", "irq", "softirq", "steal"].map((s) => "cpu.total." + s + "_pct");
  const C = ["#3a7bd5", "#e4572e", "#f3a712", "#8e44ad", "#29a36a"];
  const MAIN = [
    { id: "cpu", title: "CPU by state (stacked)", fmt: pct, stack: true, max: 100,
      series: [["user", C[0], (f) => f["cpu.total.user_pct"]],
               ["system", C[1], (f) => f["cpu.total.system_pct"]],
               ["iowait", C[2], (f) => f["cpu.total.iowait_pct"]],
               ["other", C[3], (f) => add(...OTHER.map((k) => f[k]))]],
      line: ["busy", "#111", (f) => f["cpu.total.busy_pct"]] },
    { id: "mem", title: "Memory", fmt: bytes,
      series: [["used", C[1], (f) => f["mem.used_bytes"]],
               ["cache", C[0], (f) => add(f["mem.cached_bytes"], f["mem.buffers_bytes"])],
               ["available", C[4], (f) => f["mem.available_bytes"]]] },
    { id: "disk", title: "Disk", fmt: rate,
      series: [["read", C[0], (f) => f["disk.total.read_bytes_per_s"]],
               ["write", C[1], (f) => f["disk.total.write_bytes_per_s"]]] },
    { id: "net", title: "Network", fmt: rate,
      series: [["rx", C[0], (f) => f["net.total.rx_bytes_per_s"]],
               ["tx", C[1], (f) => f["net.total.tx_bytes_per_s"]]] },
    { id: "load", title: "Load", fmt: num,
      series: [["1 min", C[0], (f) => f["load.avg1"]], ["5 min", C[2], (f) => f["load.avg5"]],
               ["15 min", C[1], (f) => f["load.avg15"]]] },
  ];
  const SMALL = {
    "cpu.cores": { key: "id", box: "cores", title: (n) => "cpu " + n, fmt: pct, max: 100,
             series: [["busy", C[0], (o) => o.busy_pct]] },
    "disk.devices": { key: "name", box: "disks", title: (n) => n, fmt: rate,
             series: [["read", C[0], (o) => o.read_bytes_per_s], ["write", C[1], (o) => o.write_bytes_per_s]] },
    "net.interfaces": { key: "name", box: "nets", title: (n) => n, fmt: rate,
            series: [["rx", C[0], (o) => o.rx_bytes_per_s], ["tx", C[1], (o) => o.tx_bytes_per_s]] },
  };
  const st = { host: null, win: 300, paused: false, lost: 0, marks: [], seq: null, es: null,
               charts: {}, procs: new Map(), sort: { k: "cpu_pct", asc: false }, queued: null,
               timer: 0 };

  // ---- charts: each holds its own columns (t, then one per series) and draws a copy ----
  function chart(parent, id, def, height) {
    const box = document.createElement("div");
    box.className = "chart";
    box.id = "chart-" + id;
    box.innerHTML = "<h3></h3>";
    box.firstChild.textContent = def.title;
    parent.appendChild(box);
    const all = def.series.concat(def.line ? [def.line] : []);
    const c = { def, box, cols: [[]].concat(all.map(() => [])), seq: [], raw: null, u: null };
    const order = def.stack ? all.map((_, i) => i).reverse().filter((i) => i < def.series.length) : [];
    const idx = def.stack ? order.concat(def.line ? [def.series.length] : []) : all.map((_, i) => i);
    c.idx = idx; // uPlot series k+1 shows column idx[k]+1
    const series = [{}].concat(idx.map((i) => ({
      label: all[i][0], stroke: all[i][1], width: 1.5,
      fill: def.stack && i < def.series.length ? all[i][1] : undefined,
      value: (u, v, si, di) => def.fmt(di == null || !c.raw ? null : c.raw[idx[si - 1] + 1][di]),
    })));
    const opts = {
      width: Math.max(box.clientWidth - 8, 200), height, series,
      scales: { x: { time: true }, y: def.max ? { range: [0, def.max] } : { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      axes: [{}, { size: 84, values: (u, vs) => vs.map((v) => def.fmt(v)) }],
      legend: { live: true },
      hooks: { draw: [drawMarks] },
    };
    c.u = new uPlot(opts, [[]].concat(idx.map(() => [])), box);
    st.charts[id] = c;
    return c;
  }

  function drawMarks(u) { // lost frames: a red line at the sample after the loss
    const ctx = u.ctx, [lo, hi] = [u.scales.x.min, u.scales.x.max];
    ctx.save();
    ctx.strokeStyle = "#d00";
    ctx.lineWidth = 2;
    for (const t of st.marks) {
      if (t < lo || t > hi) continue;
      const x = u.valToPos(t, "x", true);
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    }
    ctx.restore();
  }

  function push(c, t, seq, values) {
    const n = c.cols[0].length;
    if (n && t <= c.cols[0][n - 1]) return; // a replay of what is held
    c.cols[0].push(t);
    c.seq.push(seq);
    values.forEach((v, i) => c.cols[i + 1].push(v == null ? null : v));
    const keep = st.win ? t - st.win : -Infinity;
    let cut = 0;
    while (cut < c.cols[0].length && (c.cols[0][cut] < keep || c.cols[0].length - cut > MAX_POINTS)) cut++;
    if (cut) { c.cols.forEach((a) => a.splice(0, cut)); c.seq.splice(0, cut); }
  }

  function render(c) {
    c.raw = c.cols.map((a) => a.slice());
    c.rawSeq = c.seq.slice();
    let cols = c.raw;
    if (c.def.stack) { // cumulative sums: each state drawn on the ones below it
      const k = c.def.series.length;
      cols = c.raw.map((a) => a.slice());
      for (let i = 2; i <= k; i++) cols[i] = cols[i].map((v, j) => (v == null || cols[i - 1][j] == null ? null : v + cols[i - 1][j]));
    }
    c.u.setData([cols[0]].concat(c.idx.map((i) => cols[i + 1])));
  }

  // ---- samples ----
  function sys(d) {
    const t = d.ts / 1e9;
    for (const def of MAIN) {
      const c = st.charts[def.id];
      push(c, t, d.seq, def.series.concat(def.line ? [def.line] : []).map((s) => s[2](d.fields)));
    }
    if (d.lost > 0) { st.lost += d.lost; st.marks.push(t); }
    for (const kind in SMALL) if (d.lists && d.lists[kind]) for (const o of d.lists[kind]) {
      const def = SMALL[kind], name = o[def.key], id = def.box + "-" + name;
      const c = st.charts[id] || chart($("#" + def.box), id, Object.assign({}, def, { title: def.title(name) }), 110);
      push(c, t, d.seq, def.series.map((s) => s[2](o)));
    }
    if (d.seq != null) st.seq = d.seq;
    schedule();
  }

  function proc(d) {
    if (d.gone) st.procs.delete(d.pid);
    else st.procs.set(d.pid, Object.assign({ pid: d.pid, comm: d.comm, seen: Date.now() }, {
      cpu_pct: d.fields.cpu_pct, rss_bytes: d.fields.rss_bytes, mem_pct: d.fields.mem_pct, threads: d.fields.threads }));
    schedule();
  }

  function schedule() { if (!st.timer) st.timer = setTimeout(draw, 100); }

  function draw() {
    st.timer = 0;
    status();
    if (st.paused) return;
    for (const id in st.charts) render(st.charts[id]);
    table();
    window.__perfbus.draws++;
  }

  function status() {
    const s = $("#status");
    s.textContent = (st.paused ? "paused" : st.es && st.es.readyState === 1 ? "live" : "connecting") +
      (st.seq != null ? " · seq " + st.seq : "") + (st.lost ? " · " + st.lost + " frame(s) lost" : "");
    s.className = st.lost ? "lost" : "";
  }

  function table() {
    const now = Date.now(), { k, asc } = st.sort;
    for (const [pid, p] of st.procs) if (now - p.seen > 15000) st.procs.delete(pid);
    const rows = [...st.procs.values()].sort((a, b) => {
      const x = a[k], y = b[k];
      const r = typeof x === "string" ? x.localeCompare(y) : (x == null ? -1 : x) - (y == null ? -1 : y);
      return asc ? r : -r;
    }).slice(0, 30);
    const fmt = { pid: String, comm: String, cpu_pct: pct, rss_bytes: bytes, mem_pct: pct, threads: (v) => (v == null ? "-" : String(v)) };
    const body = $("#procs tbody");
    st.shownProcs = rows.map((p) => ({ pid: p.pid, [k]: p[k] })); // what this draw showed, for tests
    body.textContent = "";
    for (const p of rows) {
      const tr = body.insertRow();
      for (const key of ["pid", "comm", "cpu_pct", "rss_bytes", "mem_pct", "threads"]) tr.insertCell().textContent = fmt[key](p[key]);
    }
  }

  // ---- a host: its window of history, then its stream ----
  async function api(op, args) {
    const r = await fetch("api/" + op + "?" + new URLSearchParams(args));
    const j = await r.json();
    if (!j.ok) throw new Error(op + ": " + j.error.message);
    return j;
  }

  function reset() {
    for (const id in st.charts) st.charts[id].u.destroy();
    st.charts = {};
    ["#charts", "#cores", "#disks", "#nets"].forEach((s) => ($(s).textContent = ""));
    MAIN.forEach((def) => chart($("#charts"), def.id, def, 170));
    st.procs.clear();
    st.marks = [];
    st.lost = 0;
    st.seq = null;
  }

  async function open(host) {
    if (st.es) st.es.close();
    st.host = host;
    reset();
    history.replaceState(null, "", "?host=" + encodeURIComponent(host));
    st.queued = [];
    const es = (st.es = new EventSource("events?host=" + encodeURIComponent(host)));
    es.addEventListener("sys", (e) => (st.queued ? st.queued.push(JSON.parse(e.data)) : sys(JSON.parse(e.data))));
    es.addEventListener("proc", (e) => proc(JSON.parse(e.data)));
    es.onopen = es.onerror = status;
    try {
      const args = { host, fields: FIELDS.join(",") };
      if (st.win) args.last = st.win;
      const h = await api("history", args);
      if (st.es !== es) return;
      h.ts.forEach((ts, i) => {
        const f = {};
        for (const k in h.fields) f[k] = h.fields[k][i];
        sys({ ts, seq: null, fields: f });
      });
    } catch (err) {
      $("#status").textContent = String(err.message || err);
    }
    const q = st.queued;
    st.queued = null;
    q.forEach(sys);
    draw();
  }

  async function hosts() {
    const s = await api("stats", {});
    const sel = $("#host"), names = (s.hosts || []).map((h) => h.host);
    const have = [...sel.options].map((o) => o.value);
    for (const n of names) if (!have.includes(n)) sel.add(new Option(n, n));
    return names;
  }

  // ---- controls ----
  $("#host").onchange = (e) => open(e.target.value);
  $("#window").onclick = (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    document.querySelectorAll("#window button").forEach((x) => x.classList.toggle("on", x === b));
    st.win = Number(b.dataset.s);
    open(st.host);
  };
  $("#pause").onclick = (e) => {
    st.paused = !st.paused;
    e.target.textContent = st.paused ? "resume" : "pause";
    e.target.classList.toggle("on", st.paused);
    draw();
  };
  $("#procs thead").onclick = (e) => {
    const th = e.target.closest("th");
    if (!th) return;
    const k = th.dataset.k;
    st.sort = { k, asc: st.sort.k === k ? !st.sort.asc : k === "comm" };
    document.querySelectorAll("#procs th").forEach((x) => { x.classList.toggle("on", x === th); x.classList.toggle("asc", x === th && st.sort.asc); });
    table();
  };
  window.addEventListener("resize", () => {
    for (const id in st.charts) {
      const c = st.charts[id];
      c.u.setSize({ width: Math.max(c.box.clientWidth - 8, 200), height: c.u.height });
    }
  });

  // for tests and the curious: the newest point of a chart, as drawn
  window.__perfbus = {
    state: st, draws: 0,
    newest(id) {
      const c = st.charts[id];
      const n = c && c.raw ? c.raw[0].length : 0;
      if (!n) return null;
      const all = c.def.series.concat(c.def.line ? [c.def.line] : []);
      const values = {};
      all.forEach((s, i) => (values[s[0]] = c.raw[i + 1][n - 1]));
      return { t: c.raw[0][n - 1], seq: c.rawSeq[n - 1], values, drawn: c.u.data[0][c.u.data[0].length - 1] };
    },
  };

  (async () => {
    try {
      const names = await hosts();
      const want = new URLSearchParams(location.search).get("host");
      const host = names.includes(want) ? want : names[0];
      if (!host) { $("#status").textContent = "no host heard yet"; setTimeout(() => location.reload(), 2000); return; }
      $("#host").value = host;
      open(host);
      setInterval(() => hosts().catch(() => {}), 10000);
    } catch (err) {
      $("#status").textContent = String(err.message || err);
    }
  })();
})();
