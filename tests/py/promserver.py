"""promserver: Debian's /usr/bin/prometheus for the tests, on a free loopback port in a temp dir.

Prometheus(target) scrapes one plain-HTTP target every second (job "perfbus");
Prometheus(jobs=YAML, files={name: text}) takes scrape_configs entries that may name files
written into its dir first (certificates, tokens); receiver=True adds
--web.enable-remote-write-receiver. terminate()/start() restart it on the same TSDB;
stop() ends it and removes the dir. The HTTP API: get, wait_ready, query, scalar, raw.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"
JOB = "perfbus"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def plain_job(target, job=JOB):
    """A scrape_configs entry for one plain-HTTP target."""
    return (f"  - job_name: {job}\n    metrics_path: /metrics\n"
            f"    static_configs:\n      - targets: ['{target}']\n")


class Prometheus:
    def __init__(self, target=None, jobs=None, files=None, receiver=False):
        self.dir = tempfile.mkdtemp(prefix="pbprom-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_url = self.url + "/api/v1/write"
        self.receiver = receiver
        for name, text in (files or {}).items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        conf = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        if jobs is not None or target:
            conf += "scrape_configs:\n" + (jobs if jobs is not None else plain_job(target))
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
        self.terminate(15)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
