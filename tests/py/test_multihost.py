#!/usr/bin/python3
"""multihost.netns: three publisher hosts and one subscriber host in network namespaces, CURVE.

netns.Net gives hosts pub1..pub3, sub and mon (a bridge, 10.77.0.0/24). Every key pair comes
from `perfbus keygen`; each pubN's allow directory holds the subscriber's and the "client"
key. Each pubN runs perfbusd --host pubN with PUB and control on its veth address and CURVE;
pub1 also runs perfbus-demo (libperfbus, CURVE from PERFBUS_CURVE_*). On sub, perfbus-sub
connects to the three with their server keys, records, and serves HTTPS + a bearer token on
its veth address; its query socket is an ipc path (unix sockets work across namespaces). On
mon, Prometheus scrapes it; the test's own clients run in mon too. Checks:
a) frames from the three hosts arrive, are recorded, and the HTML report names each host;
b) pub2's link down for 10 s: pub2 is down within 3 heartbeats and up again after, its gap
   is counted as lost frames (pub2 sends more than its queues hold: --sndhwm 20 at 20 sys
   frames/s), pub1 and pub3 lose nothing;
c) a client without a key and one with a key not allowed get no frame, no control reply and
   no profile reply within 5 s, and perfbusd's and the agent's health count both;
d) tcpdump on pub1's eth0 sees no process name with CURVE, and sees them from a perfbusd
   started with --insecure;
e) Prometheus with tls_config and the token scrapes it across the namespaces (up), and the
   same job without the token gets 401.
Needs root (network namespaces): without it the test fails, saying why.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import curvetest as ct  # noqa: E402
import netns  # noqa: E402
import pbtest  # noqa: E402
import profdemo  # noqa: E402
import read_run  # noqa: E402
from promserver import PROMETHEUS, free_port  # noqa: E402

import msgpack  # noqa: E402
import zmq  # noqa: E402

HOSTS = ["pub1", "pub2", "pub3", "sub", "mon"]
PUBS = HOSTS[:3]
HB = 0.5
DOWN_AFTER = 3
OUTAGE_S = 10.0
DENY_WAIT_S = 5.0
SLACK_S = 1.0  # perfbus-sub's 100 ms check, the poll interval, a loaded machine
UP_AGAIN_S = 12.0  # TCP's retransmission backoff: the next retry after the link is back
PUB2_INTERVAL = 0.05
PUB2_SNDHWM = 20
TOKEN = "perfbus-multihost-token-0123456789"
NAMES = (b"perfbus-demo", b"perfbusd")  # comms pub1 watches (--match ^perfbus)


class World:
    """Everything the test started, stopped in finally."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pbmulti-")
        self.net = None
        self.keys = None
        self.procs = []
        self.ctxs = []
        self.ep = {}
        self.sub = None
        self.prom_log = None

    def proc(self, host, argv, ready, env=None, timeout=15.0):
        p = ct.Proc(self.net.argv(host, argv), ready, timeout=timeout, env=env)
        self.procs.append(p)
        return p

    def context(self, host):
        """A zmq.Context whose I/O thread lives in host's namespace (connects go out there)."""
        with self.net.inside(host):
            ctx = zmq.Context()
            ctx.socket(zmq.PUB).close()  # starts the I/O thread here
        self.ctxs.append(ctx)
        return ctx

    def query(self, op, timeout=5.0):
        """One request to perfbus-sub's ipc query socket, from this (the root) namespace."""
        return ct.request(self.ctxs[0], self.ep["query"], None, None, op=op, timeout=timeout)

    def close(self):
        for p in reversed(self.procs):
            p.kill()
        for ctx in self.ctxs:
            ctx.destroy(linger=0)
        if self.net:
            self.net.close()
        if self.prom_log:
            self.prom_log.close()
        if self.keys:
            self.keys.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- setup
def make_keys(w):
    w.keys = ct.Keys(*PUBS, "sub", "client", "other")
    for host in PUBS:
        allow = os.path.join(w.keys.dir, f"allow-{host}")
        os.mkdir(allow)
        for name in ("sub", "client"):
            shutil.copy(w.keys.path(name), os.path.join(allow, name))


def make_tls(w):
    """A self-signed certificate for sub's veth address, its key and the token file."""
    cert, key, token = (os.path.join(w.dir, n) for n in ("http.pem", "http.key", "token"))
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=perfbus-sub",
           "-addext", f"subjectAltName=IP:{w.net.addr('sub')}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pbtest.fail_now(f"openssl could not make a certificate: {done.stderr[-500:]}")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    for path in (key, token):
        os.chmod(path, 0o600)
    return cert, key, token


def start_pub(w, host, *extra, secure=True):
    addr = w.net.addr(host)
    argv = [ct.build_path("publisher", "perfbusd"), "--host", host,
            "--pub", f"tcp://{addr}:*", "--control", f"tcp://{addr}:*",
            "--heartbeat", HB, *extra]
    if secure:
        argv += ["--curve-secret", w.keys.path(host),
                 "--curve-allow", os.path.join(w.keys.dir, f"allow-{host}")]
    else:
        argv += ["--insecure", "--profile", f"tcp://{addr}:*", "--profile-pub", f"tcp://{addr}:*"]
    p = w.proc(host, argv, "perfbusd: ready")
    return p, ct.ready_fields(p, "perfbusd: ready")


def start_demo(w):
    """perfbus-demo on pub1's address, CURVE from the environment; (endpoint, pub)."""
    addr = w.net.addr("pub1")
    env = dict(os.environ, TMPDIR=w.dir, PERFBUS_CURVE_SECRET=w.keys.path("pub1"),
               PERFBUS_CURVE_ALLOW=os.path.join(w.keys.dir, "allow-pub1"))
    argv = w.net.argv("pub1", [profdemo.demo_path(), "--endpoint", f"tcp://{addr}:*",
                               "--pub", f"tcp://{addr}:*"])
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                         env=env)
    w.net.procs.append(p)
    lines = [p.stdout.readline().split() for _ in range(2)]
    if [line[:1] for line in lines] != [["endpoint"], ["pub"]]:
        pbtest.fail_now(f"perfbus-demo did not print its endpoints: {lines}")
    return lines[0][1], lines[1][1]


def start_sub(w, cert, key, token):
    argv = [ct.build_path("subscriber", "perfbus-sub"), "--curve-secret", w.keys.path("sub"),
            "--query", w.ep["query"], "--record", "--store", os.path.join(w.dir, "store"),
            "--flush-ms", 200, "--http", f"{w.net.addr('sub')}:0", "--http-tls-cert", cert,
            "--http-tls-key", key, "--http-token-file", token]
    for host in PUBS:
        argv += ["--connect", w.ep[host]["pub"], "--curve-server-key", w.keys.path(host)]
    w.sub = w.proc("sub", argv, "perfbus-sub: ready")


def prometheus_jobs(addr):
    common = (f"    scheme: https\n    tls_config:\n      ca_file: {{dir}}/http.pem\n"
              f"    static_configs:\n      - targets: ['{addr}']\n")
    return (f"  - job_name: with_token\n{common}"
            f"    authorization:\n      type: Bearer\n      credentials_file: {{dir}}/token\n"
            f"  - job_name: without_token\n{common}")


def start_prometheus(w, addr):
    """Debian's Prometheus in mon, scraping addr every second with and without the token."""
    pdir = os.path.join(w.dir, "prom")
    os.mkdir(pdir)
    with open(os.path.join(pdir, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                + prometheus_jobs(addr).replace("{dir}", w.dir))
    with w.net.inside("mon"):
        port = free_port()  # in mon's own namespace
    w.ep["prom"] = f"http://127.0.0.1:{port}"
    argv = [PROMETHEUS, f"--config.file={pdir}/prometheus.yml", f"--storage.tsdb.path={pdir}/data",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    w.prom_log = open(os.path.join(pdir, "stderr"), "w+")
    w.net.popen("mon", argv, stdin=subprocess.DEVNULL, stdout=w.prom_log, stderr=w.prom_log)


def setup(r, w):
    w.net = netns.Net(HOSTS)
    make_keys(w)
    cert, key, token = make_tls(w)
    w.ctxs.append(zmq.Context())  # the root namespace's: the ipc query socket
    w.ep["query"] = f"ipc://{w.dir}/query"
    w.ep["pub1"] = start_pub(w, "pub1", "--interval", 0.5, "--match", "^perfbus")[1]
    w.ep["pub2"] = start_pub(w, "pub2", "--interval", PUB2_INTERVAL, "--sndhwm", PUB2_SNDHWM)[1]
    w.ep["pub3"] = start_pub(w, "pub3", "--interval", 0.5)[1]
    w.ep["demo"], w.ep["demo-pub"] = start_demo(w)
    start_sub(w, cert, key, token)
    http = (w.query("stats") or {}).get("http") or {}
    r.check(http.get("tls") is True and http.get("address", "").startswith(w.net.addr("sub")),
            "perfbus-sub serves HTTPS on its veth address", str(http)) or r.finish()
    start_prometheus(w, http["address"])
    return cert


# ---------------------------------------------------------------- a) frames from three hosts
def hosts_of(reply):
    return {h.get("host"): h for h in (reply or {}).get("hosts", [])}


def pubs_of(reply):
    return {p.get("host"): p for p in (reply or {}).get("publishers", [])}


def check_arrival(r, w):
    stats = ct.wait_for(lambda: (lambda s: s if all(
        p.get("frames", 0) > 2 and p.get("state") == "up" for p in pubs_of(s).values())
        and len(pubs_of(s)) == 3 else None)(w.query("stats")), 20)
    pubs = pubs_of(stats or w.query("stats"))
    r.check(sorted(pubs) == PUBS and all(p.get("frames", 0) > 2 for p in pubs.values()),
            "frames from pub1, pub2 and pub3 arrive over CURVE",
            str({h: (p.get("frames"), p.get("state")) for h, p in pubs.items()}))
    health = w.query("health") or {}
    r.check(all(hosts_of(health).get(h, {}).get("state") == "up" for h in PUBS),
            "health: the three hosts up", str(health.get("hosts"))[:400])


def check_recorded(r, w):
    """After perfbus-sub stopped: the run holds sys frames of every host; the report names them."""
    store = os.path.join(w.dir, "store")
    runs = sorted(os.path.join(store, d) for d in os.listdir(store))
    r.check(len(runs) == 1, "one run recorded", str(runs)) or r.finish()
    _, records, problems = read_run.read_run(runs[0])
    seen = {t.split(".")[1] for _, t, _ in records if t.startswith("sys.")}
    r.check(set(PUBS) <= seen and not problems, "the run holds sys frames of the three hosts",
            f"{sorted(seen)}; {problems[:3]}")
    html = os.path.join(w.dir, "report.html")
    out = subprocess.run([ct.build_path("reporter", "perfbus-report"), runs[0], "--format",
                          "html", "--out", html], capture_output=True, text=True, timeout=120)
    r.check(out.returncode == 0, "perfbus-report exits 0", out.stderr[-500:]) or r.finish()
    with open(html, encoding="utf-8") as f:
        doc = f.read()
    for host in PUBS:
        r.check(f"Publisher up/down - {host}" in doc, f"the HTML report names host {host}")
    got = re.search(r"Publisher up/down - pub2.{0,400}?Down (\d+) time", doc, re.S)
    r.check(got is not None and int(got.group(1)) >= 1, "the report shows pub2's down period",
            got.group(0)[-200:] if got else "no Down line for pub2")


# ---------------------------------------------------------------- b) pub2's link down for 10 s
def poll_down(r, w, t_cut):
    """Polls stats until pub2 is down; pub1 and pub3 stay up meanwhile. Returns seconds."""
    end = t_cut + DOWN_AFTER * HB + 10
    state, others = "?", True
    while time.time() < end:
        hosts = hosts_of(w.query("stats"))
        seen = time.time()
        others = others and all(hosts.get(h, {}).get("state") == "up" for h in ("pub1", "pub3"))
        state = hosts.get("pub2", {}).get("state")
        if state == "down":
            break
        time.sleep(0.05)
    r.check(state == "down", "pub2 is marked down while its link is down", state) or r.finish()
    r.check(seen - t_cut <= DOWN_AFTER * HB + SLACK_S,
            f"within {DOWN_AFTER} heartbeats ({DOWN_AFTER * HB:g} s) of the cut",
            f"{seen - t_cut:.3f} s")
    r.check(others, "pub1 and pub3 stay up")
    print(f"multihost: pub2 down {seen - t_cut:.3f} s after its link went down", flush=True)


def poll_up(r, w, t_back):
    reply = ct.wait_for(lambda: (lambda s: s if hosts_of(s).get("pub2", {}).get("state") == "up"
                                 else None)(w.query("stats")), UP_AGAIN_S, step=0.05)
    seen = time.time()
    r.check(bool(reply), f"pub2 is up again within {UP_AGAIN_S:g} s of its link's return",
            str(hosts_of(w.query("stats")).get("pub2"))) or r.finish()
    print(f"multihost: pub2 up {seen - t_back:.3f} s after its link came back (TCP's "
          "retransmission backoff)", flush=True)


def settled(w):
    """Stats once pub2's late frames are in: lost stops changing while frames keep coming."""
    prev = None
    end = time.monotonic() + 10
    while time.monotonic() < end:
        time.sleep(0.5)
        stats = w.query("stats")
        p2 = pubs_of(stats).get("pub2", {})
        if prev and p2.get("lost") == prev.get("lost") and p2.get("frames") > prev.get("frames"):
            return stats
        prev = p2
    return stats


def check_loss(r, w, before, t_cut, t_back):
    stats = settled(w)
    pubs, hosts = pubs_of(stats), hosts_of(stats)
    p2 = pubs.get("pub2", {})
    span = p2.get("last_seq", 0) - p2.get("first_seq", 0) + 1
    r.check(p2.get("lost", 0) > 0 and span == p2.get("frames", 0) + p2.get("lost", 0),
            "pub2's outage is counted as lost frames, exactly its seq gaps",
            f"frames {p2.get('frames')} lost {p2.get('lost')} seq span {span}")
    period = (hosts.get("pub2", {}).get("down") or [{}])[-1]
    length = (period.get("to_ns", 0) - period.get("from_ns", 0)) / 1e9
    r.check(OUTAGE_S - 1 <= length <= OUTAGE_S + UP_AGAIN_S and
            hosts.get("pub2", {}).get("down_total") == 1,
            "one down period for pub2, spanning the outage", str(hosts.get("pub2"))[:300])
    print(f"multihost: pub2's down period from {period.get('from_ns', 0) / 1e9 - t_cut:+.3f} s "
          f"of the cut to {period.get('to_ns', 0) / 1e9 - t_back:+.3f} s of the link's return",
          flush=True)
    sent = p2.get("last_seq", 0) - pubs_of(before).get("pub2", {}).get("last_seq", 0)
    got = p2.get("frames", 0) - pubs_of(before).get("pub2", {}).get("frames", 0)
    print(f"multihost: pub2 ({1 / PUB2_INTERVAL:g} sys + {1 / HB:g} hb frames/s, --sndhwm "
          f"{PUB2_SNDHWM}) down {length:.2f} s: {sent} frames sent since the cut was "
          f"prepared, {got} received, {p2.get('lost')} lost; so about "
          f"{length * (1 / PUB2_INTERVAL + 1 / HB) - p2.get('lost', 0):.0f} of the down period's "
          "frames were queued (HWM + socket buffers) and arrived late", flush=True)
    for host in ("pub1", "pub3"):
        p = pubs.get(host, {})
        r.check(p.get("lost") == 0 and p.get("state") == "up" and
                hosts.get(host, {}).get("down_total") == 0,
                f"{host} lost nothing and was never down",
                f"lost {p.get('lost')} state {p.get('state')} {hosts.get(host)}")


# ---------------------------------------------------------------- c) outsiders get nothing
def outsiders(w, ctx, server):
    other = w.keys.pair("other")
    profile = {"op": "profile", "target": "fib", "mode": "detailed"}
    return {
        "SUB without a key": ct.sub_socket(ctx, w.ep["pub1"]["pub"]),
        "SUB with a key not allowed": ct.sub_socket(ctx, w.ep["pub1"]["pub"], other, server),
        "control REQ without a key": ct.req_socket(ctx, w.ep["pub1"]["control"]),
        "control REQ with a key not allowed": ct.req_socket(ctx, w.ep["pub1"]["control"], other,
                                                            server),
        "demo profile REQ without a key": profile_req(ctx, w.ep["demo"], None, None, profile),
        "demo profile REQ with a key not allowed": profile_req(ctx, w.ep["demo"], other, server,
                                                               profile),
    }


def profile_req(ctx, endpoint, own, server, req):
    s = ct.curve_socket(ctx, zmq.REQ, own, server)
    s.connect(endpoint)
    s.send(msgpack.packb(req))
    return s


def check_outsiders(r, w, ctx):
    server = w.keys.public("pub1")
    own = w.keys.pair("client")
    s = ct.sub_socket(ctx, w.ep["pub1"]["pub"], own, server)
    got = s.poll(10000)
    s.close()
    r.check(got, "from mon, the allowed client key gets pub1's frames (control)")
    socks = outsiders(w, ctx, server)
    got = ct.first_message(list(socks.values()), DENY_WAIT_S)
    for what, sock in socks.items():
        r.check(got[sock] is None, f"from mon, {what}: nothing within {DENY_WAIT_S:g} s",
                str(got[sock])[:120])
        sock.close()
    h = ct.wait_for(lambda: (lambda x: x if x and x.get("handshakes_denied", 0) >= 2 and
                             x.get("handshakes_failed", 0) >= 2 else None)(
        ct.request(ctx, w.ep["pub1"]["control"], own, server)), 10)
    r.check(bool(h), "pub1's perfbusd health counts both SUBs and both REQs (denied, failed)",
            str(ct.request(ctx, w.ep["pub1"]["control"], own, server))[:300])
    a = ct.request(ctx, w.ep["demo"], own, server) or {}
    r.check(a.get("ok") is True and a.get("handshakes_denied", 0) >= 1 and
            a.get("handshakes_failed", 0) >= 1,
            "the demo agent answers the allowed key, and its health counts both attempts",
            str(a)[:300])


# ---------------------------------------------------------------- d) a capture on pub1's veth
def capture(w, name):
    path = os.path.join(w.dir, name)
    p = w.proc("pub1", ["tcpdump", "-i", "eth0", "--immediate-mode", "-U", "-s", "0", "-w",
                        path, "tcp"],
               "listening on")
    return p, path


def stop_capture(p, path, want=()):
    """Stops tcpdump, once `want` (bytes) are all in its file or after 5 s."""
    end = time.monotonic() + 5
    while want and time.monotonic() < end:
        with open(path, "rb") as f:
            data = f.read()
        if all(n in data for n in want):
            break
        time.sleep(0.1)
    p.stop()
    with open(path, "rb") as f:
        return f.read()


def check_curve_capture(r, w, data, before):
    after = pubs_of(w.query("stats")).get("pub1", {}).get("frames", 0)
    sent = after - pubs_of(before).get("pub1", {}).get("frames", 0)
    r.check(sent >= 5 and len(data) > 5000,
            "the capture holds pub1's CURVE traffic to perfbus-sub (control)",
            f"{sent} frames, {len(data)} bytes")
    for name in NAMES:
        r.check(name not in data, f"with CURVE, no {name.decode()!r} in the {len(data)} captured "
                "bytes")


def check_insecure_capture(r, w, ctx):
    tcpdump, path = capture(w, "insecure.pcap")
    _, ep = start_pub(w, "pub1", "--interval", 0.2, "--match", "^perfbus", secure=False)
    s = ct.sub_socket(ctx, ep["pub"], prefix=b"proc.")
    end = time.monotonic() + 15
    comms = set()
    while time.monotonic() < end and not {n.decode() for n in NAMES} <= comms:
        if s.poll(500):
            comms.add(pbtest.unpack(s.recv_multipart()[1]).get("comm"))
    s.close()
    r.check({n.decode() for n in NAMES} <= comms,
            "a plain SUB from mon gets the --insecure perfbusd's proc frames", str(comms))
    data = stop_capture(tcpdump, path, NAMES)
    for name in NAMES:
        r.check(name in data, f"with --insecure, {name.decode()!r} is in the capture",
                f"{len(data)} bytes")


# ---------------------------------------------------------------- e) Prometheus from mon
def prom_targets(w):
    with w.net.inside("mon"):
        with urllib.request.urlopen(w.ep["prom"] + "/api/v1/targets", timeout=5) as resp:
            body = json.loads(resp.read())
    return {t["labels"]["job"]: (t["health"], t.get("lastError", ""))
            for t in body["data"]["activeTargets"]}


def check_prometheus(r, w):
    end = time.monotonic() + 60
    seen = {}
    while time.monotonic() < end:
        try:
            seen = prom_targets(w)
        except OSError:  # not listening yet
            seen = {}
        if len(seen) == 2 and seen.get("with_token", ("",))[0] == "up" and \
                seen.get("without_token", ("",))[0] == "down":
            break
        time.sleep(0.5)
    w.prom_log.flush()
    w.prom_log.seek(0)
    log = w.prom_log.read()[-1500:]
    health, _ = seen.get("with_token", ("missing", ""))
    r.check(health == "up", "Prometheus in mon scrapes perfbus-sub on sub over TLS with the token",
            f"{seen}; {log}")
    health, err = seen.get("without_token", ("missing", ""))
    r.check(health == "down" and "401" in err, "the job without the token gets 401", str(seen))


# ---------------------------------------------------------------- the run
def outage(r, w, mon):
    before = w.query("stats")
    t_cut = time.time()
    w.net.link("pub2", False)
    try:
        poll_down(r, w, t_cut)
        time.sleep(max(0.0, t_cut + OUTAGE_S - time.time()))
    finally:
        w.net.link("pub2", True)
    t_back = time.time()
    poll_up(r, w, t_back)
    check_loss(r, w, before, t_cut, t_back)


def scenario(r, w):
    setup(r, w)
    mon = w.context("mon")
    tcpdump, path = capture(w, "curve.pcap")
    before = w.query("stats")
    check_arrival(r, w)
    time.sleep(2.0)  # a few more of pub1's frames in the capture
    check_curve_capture(r, w, stop_capture(tcpdump, path), before)
    t = time.monotonic()
    check_outsiders(r, w, mon)
    print(f"multihost: outsiders checked in {time.monotonic() - t:.1f} s", flush=True)
    outage(r, w, mon)
    check_insecure_capture(r, w, mon)
    check_prometheus(r, w)
    sub = w.sub
    r.check(any("host pub2 is down" in line for line in sub.log) and
            any("host pub2 is up again" in line for line in sub.log),
            "perfbus-sub logs pub2's transitions", sub.stderr())
    r.check(sub.stop() == 0, "perfbus-sub exits 0", sub.stderr())
    check_recorded(r, w)


def main():
    r = pbtest.Results("multihost.netns")
    why = netns.require()
    if why:
        r.fatal(f"the multi-host test cannot run: {why}")
    ct.require_curve()
    for tool in ("openssl", "tcpdump", PROMETHEUS):
        if not shutil.which(tool):
            r.fatal(f"{tool} is missing: scripts/deps.sh installs it")
    t0 = time.monotonic()
    w = World()
    try:
        scenario(r, w)
    finally:
        w.close()
    print(f"multihost: {time.monotonic() - t0:.1f} s", flush=True)
    r.finish()


if __name__ == "__main__":
    main()
