"""promtest: Prometheus helpers for the remote_write tests -- a real /usr/bin/prometheus on a free
loopback port (restartable on the same TSDB), a fake receiver, and a prompb decoder built from a
hand-written descriptor (python3-protobuf) with snappy (python3-snappy)."""

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pbtest  # first: it explains a missing Debian package instead of a traceback

try:
    import snappy
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as e:
    pbtest.fail_now(f"missing {e.name}: scripts/deps.sh installs python3-protobuf and "
                    "python3-snappy")

PROMETHEUS = "/usr/bin/prometheus"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus:
    """/usr/bin/prometheus in a temp dir: a remote-write receiver (and scraper of `target`)."""

    def __init__(self, target=None, receiver=True):
        self.dir = tempfile.mkdtemp(prefix="pbprom-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_url = self.url + "/api/v1/write"
        self.receiver = receiver
        conf = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        if target:
            conf += ("scrape_configs:\n  - job_name: perfbus\n    static_configs:\n"
                     f"      - targets: ['{target}']\n")
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write(conf)
        self.log = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = None
        self.start()

    def start(self):
        argv = [PROMETHEUS, f"--config.file={self.dir}/prometheus.yml",
                f"--storage.tsdb.path={self.dir}/data", f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn"]
        if self.receiver:
            argv.append("--web.enable-remote-write-receiver")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)

    def terminate(self, timeout=20):
        """SIGTERM and wait: the TSDB stays for start()."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stderr(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-3000:]

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")

    def wait_ready(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                if self.get("/-/ready", 2)[0] == 200:
                    return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        return False

    def query(self, expr, at=None):
        """The result list of an instant query (a vector or a matrix); raises on an API error."""
        args = {"query": expr}
        if at is not None:
            args["time"] = f"{at:.3f}"
        _, body = self.get("/api/v1/query?" + urllib.parse.urlencode(args))
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise RuntimeError(f"query {expr!r}: {body[:300]}")
        return reply["data"]["result"]

    def scalar(self, expr, at=None):
        res = self.query(expr, at)
        return float(res[0]["value"][1]) if len(res) == 1 else None

    def raw(self, expr, at=None):
        """[(ts seconds, value)] of a range selector holding one series ([] when none)."""
        res = self.query(expr, at)
        return [(float(t), float(v)) for t, v in res[0]["values"]] if len(res) == 1 else []

    def stop(self):
        self.terminate()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _prompb_classes():
    """WriteRequest from prometheus/prompb's remote.proto and types.proto, written by hand."""
    fdp = descriptor_pb2.FileDescriptorProto(name="perfbus_prompb.proto", package="prometheus",
                                             syntax="proto3")
    F = descriptor_pb2.FieldDescriptorProto
    rep, opt = F.LABEL_REPEATED, F.LABEL_OPTIONAL

    def msg(name, *fields):
        m = fdp.message_type.add(name=name)
        for number, (fname, ftype, label, tname) in enumerate(fields, 1):
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if tname:
                f.type_name = ".prometheus." + tname

    msg("Label", ("name", F.TYPE_STRING, opt, None), ("value", F.TYPE_STRING, opt, None))
    msg("Sample", ("value", F.TYPE_DOUBLE, opt, None), ("timestamp", F.TYPE_INT64, opt, None))
    msg("TimeSeries", ("labels", F.TYPE_MESSAGE, rep, "Label"),
        ("samples", F.TYPE_MESSAGE, rep, "Sample"))
    msg("WriteRequest", ("timeseries", F.TYPE_MESSAGE, rep, "TimeSeries"))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    factory = message_factory.MessageFactory(pool)
    return factory.GetPrototype(pool.FindMessageTypeByName("prometheus.WriteRequest"))


WriteRequest = _prompb_classes()


def decode_write(body):
    """[(labels tuple ((name, value), ...) in wire order, [(ts ms, value)])] of a request body."""
    req = WriteRequest()
    req.ParseFromString(snappy.uncompress(body))
    return [(tuple((l.name, l.value) for l in ts.labels),
             [(s.timestamp, s.value) for s in ts.samples]) for ts in req.timeseries]


class FakeReceiver:
    """An HTTP server on a free loopback port answering every POST with `status` and `body`;
    keeps each request's headers and body."""

    def __init__(self, status=400, body=b"perfbus test receiver: sample out of bounds\n"):
        self.requests = []
        lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    owner.requests.append((dict(self.headers), data))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/write"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.lock = lock

    def taken(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
