"""dashtest: helpers for the dashboard tests (issue 14) — publishers with their own host names,
a perfbus-sub with the HTTP face, a SUB socket that records what each publisher sent."""

import http.client
import json
import os
import re
import shutil
import ssl
import tempfile
import threading
import time
import urllib.request

import pbtest  # first: it explains a missing python3-zmq/msgpack instead of a traceback

import msgpack
import zmq


class Setup:
    """perfbusd per host (ipc endpoints in a temp dir) and one perfbus-sub --http 127.0.0.1:0.
    tls=TOKEN: over HTTPS with a self-signed certificate and that bearer token (self.cert,
    self.token), which get() and connection() then use."""

    def __init__(self, hosts, interval=0.5, daemon_flags=(), sub_flags=(), tls=None):
        self.dir = tempfile.mkdtemp(prefix="pbdash-")
        self.cert = self.token = self.ssl = None
        if tls:
            self.cert, key, token_file = pbtest.tls_secrets(self.dir, tls)
            self.token, self.ssl = tls, ssl.create_default_context(cafile=self.cert)
            sub_flags = (*sub_flags, "--http-tls-cert", self.cert, "--http-tls-key", key,
                         "--http-token-file", token_file)
        self.ctx = zmq.Context()
        self.procs, self.pubs, self.frames = [], {}, {h: {} for h in hosts}
        self._stop = threading.Event()
        self._lock = threading.Lock()  # frames is written by the recording threads
        self._threads = []
        for h in hosts:
            pub = f"ipc://{self.dir}/pub-{h}"
            self.pubs[h] = pub
            self.procs.append(pbtest.Proc(
                [pbtest.build_path("publisher", "perfbusd"), "--pub", pub, "--control",
                 f"ipc://{self.dir}/ctl-{h}", "--interval", interval, "--host", h,
                 *daemon_flags], "perfbusd: ready"))
            t = threading.Thread(target=self._record, args=(h, pub), daemon=True)
            t.start()
            self._threads.append(t)
        argv = [pbtest.build_path("subscriber", "perfbus-sub"), "--query", f"ipc://{self.dir}/q",
                "--store", f"{self.dir}/store", "--http", "127.0.0.1:0", *sub_flags]
        for h in hosts:
            argv[1:1] = ["--connect", self.pubs[h]]
        self.sub = pbtest.Proc(argv, "perfbus-sub: ready")
        self.procs.append(self.sub)
        m = None
        for line in self.sub.log:
            m = m or re.search(r"http listening on (127\.0\.0\.1:\d+)", line)
        if not m:
            pbtest.fail_now(f"perfbus-sub did not say where it listens: {self.sub.stderr()}")
        self.addr = m.group(1)
        self.url = f"{'https' if tls else 'http'}://{self.addr}"

    def _record(self, host, pub):
        """Every sys and proc frame of host: frames[host][seq] = (type, frame, wall time)."""
        sock = self.ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, b"sys.")
        sock.setsockopt(zmq.SUBSCRIBE, b"proc.")
        sock.connect(pub)
        while not self._stop.is_set():
            if sock.poll(100):
                topic, payload = sock.recv_multipart()
                f = msgpack.unpackb(payload, raw=False)
                with self._lock:
                    self.frames[host][f["seq"]] = (f["type"], f, time.time())
        sock.close()

    def headers(self):
        """The Authorization header a TLS setup needs ({} without TLS)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def connection(self, timeout=10):
        """An http.client connection to perfbus-sub (HTTPS trusting only its certificate)."""
        host, port = self.addr.rsplit(":", 1)
        if self.ssl:
            return http.client.HTTPSConnection(host, int(port), context=self.ssl, timeout=timeout)
        return http.client.HTTPConnection(host, int(port), timeout=timeout)

    def sent(self, host):
        """A copy of frames[host] as it is now (the recorder goes on adding to it)."""
        with self._lock:
            return dict(self.frames[host])

    def get(self, path, timeout=10):
        """(status, body bytes) of GET path."""
        try:
            req = urllib.request.Request(self.url + path, headers=self.headers())
            with urllib.request.urlopen(req, timeout=timeout, context=self.ssl) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def api(self, op, query=""):
        st, body = self.get(f"/api/{op}{query}")
        return st, json.loads(body)

    def wait(self, predicate, timeout=20.0, what="a condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = predicate()
            if v:
                return v
            time.sleep(0.05)
        pbtest.fail_now(f"timed out after {timeout} s waiting for {what}; "
                        f"perfbus-sub: {self.sub.stderr()}")

    def hosts_up(self):
        st, j = self.api("stats")
        return st == 200 and sorted(h["host"] for h in j.get("hosts", [])) == sorted(self.pubs)

    def close(self):
        self._stop.set()
        for t in self._threads:
            t.join(2)
        for p in self.procs:
            p.kill()
        self.ctx.destroy(linger=0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def out_dir(name):
    """The test's output dir, kept after the run: $PB_BUILD/test-output/<name>."""
    d = os.path.join(os.environ["PB_BUILD"], "test-output", name)
    os.makedirs(d, exist_ok=True)
    return d
