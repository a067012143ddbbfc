#!/usr/bin/python3
"""prom.tls: perfbus-sub's HTTP face over TLS with a bearer token, scraped by a real Prometheus.

A self-signed certificate (openssl, for 127.0.0.1) and a token file; perfbus-sub --http
127.0.0.1:0 --http-tls-cert/--http-tls-key/--http-token-file. Python's ssl client, trusting
only that certificate: /metrics with the token is 200 with node_exporter's series; no token,
a wrong one and a Basic one are 401 with WWW-Authenticate; plain HTTP to the port gets no
metrics. Debian's prometheus with two jobs on the same target: `tls_config: {ca_file}` plus
`authorization: {credentials_file}` scrapes it (up == 1), the same without the token is
up == 0 with a 401 in its lastError. perfbus-sub's stats count the 401s. --http 0.0.0.0:0
without TLS and a token is refused before anything listens, with a message saying what to give.
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pbsub
import pbtest
from promserver import PROMETHEUS, Prometheus

TOKEN = "perfbus-test-token-0123456789abcdef"


def https_get(addr, cert, headers):
    host, port = addr.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cert)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
    try:
        conn.request("GET", "/metrics", headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def plain_get(addr):
    """What a plain-HTTP client gets from the TLS port: b"" or a TLS alert, never metrics."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return out


def check_clients(r, addr, cert):
    end = time.monotonic() + 15  # until the first sys frame is held
    while True:
        status, _, body = https_get(addr, cert, {"Authorization": f"Bearer {TOKEN}"})
        if status != 200 or "node_memory_MemAvailable_bytes" in body or time.monotonic() > end:
            break
        time.sleep(0.2)
    r.check(status == 200 and "node_memory_MemAvailable_bytes" in body,
            "HTTPS with the token: 200 and node_exporter's series", f"{status} {body[:200]}")
    for what, headers in (("no token", {}), ("a wrong token", {"Authorization": "Bearer nope" * 4}),
                          ("Basic auth", {"Authorization": "Basic dXNlcjpwYXNz"})):
        status, head, body = https_get(addr, cert, headers)
        r.check(status == 401 and "Bearer" in head.get("WWW-Authenticate", ""),
                f"HTTPS with {what}: 401 with a Bearer challenge", f"{status} {head} {body[:200]}")
    r.check(b"node_memory" not in plain_get(addr), "plain HTTP to the TLS port gets no metrics")


def jobs_for(addr):
    common = (f"    scheme: https\n    metrics_path: /metrics\n"
              f"    tls_config:\n      ca_file: cert.pem\n"
              f"    static_configs:\n      - targets: ['{addr}']\n")
    return (f"  - job_name: with_token\n{common}"
            f"    authorization:\n      type: Bearer\n      credentials_file: token\n"
            f"  - job_name: without_token\n{common}")


def wait_targets(prom, timeout=60):
    """{job: (health, lastError)} once both jobs have been scraped at least once."""
    end = time.monotonic() + timeout
    seen = {}
    while time.monotonic() < end:
        _, body = prom.get("/api/v1/targets")
        seen = {t["labels"]["job"]: (t["health"], t.get("lastError", ""))
                for t in json.loads(body)["data"]["activeTargets"]}
        if len(seen) == 2 and all(h != "unknown" for h, _ in seen.values()):
            return seen
        time.sleep(0.5)
    return seen


def check_prometheus(r, addr, cert, token):
    with open(cert) as f:
        cert_text = f.read()
    prom = Prometheus(jobs=jobs_for(addr), files={"cert.pem": cert_text, "token": TOKEN + "\n"})
    try:
        if not prom.wait_ready():
            r.fatal(f"{PROMETHEUS} did not become ready: {prom.stderr()}")
        seen = wait_targets(prom)
        health, err = seen.get("with_token", ("missing", ""))
        r.check(health == "up", "Prometheus with tls_config and the token scrapes it",
                f"{seen}; {prom.stderr()}")
        health, err = seen.get("without_token", ("missing", ""))
        r.check(health == "down" and "401" in err, "Prometheus without the token gets 401",
                f"{seen}")
    finally:
        prom.stop()


def check_refusal(r, bench):
    p = subprocess.run([pbtest.build_path("subscriber", "perfbus-sub"), "--connect", bench.pub,
                        "--query", f"ipc://{bench.dir}/q2", "--http", "0.0.0.0:0"],
                       capture_output=True, text=True, timeout=20)
    r.check(p.returncode != 0 and "needs TLS and a token" in p.stderr
            and "--http-token-file" in p.stderr,
            "--http 0.0.0.0:0 without TLS and a token is refused, saying what to give",
            f"exit {p.returncode}: {p.stderr[-300:]}")


def main():
    r = pbtest.Results("prom.tls")
    for tool in ("openssl", PROMETHEUS):
        if not shutil.which(tool):
            r.fatal(f"{tool} is missing: scripts/deps.sh installs it")
    d = tempfile.mkdtemp(prefix="pbtls-")
    try:
        cert, key, token = pbtest.tls_secrets(d, TOKEN)
        with pbsub.Bench() as bench:
            bench.daemon(0.5)
            sub = bench.sub("--http", "127.0.0.1:0", "--http-tls-cert", cert, "--http-tls-key", key,
                            "--http-token-file", token)
            http = bench.request({"op": "stats"}).get("http") or {}
            addr = http.get("address", "")
            if not r.check(http.get("tls") is True and not addr.endswith(":0"),
                           "stats report the bound HTTPS address", f"{http}; {sub.stderr()}"):
                r.finish()
            check_clients(r, addr, cert)
            check_prometheus(r, addr, cert, token)
            unauthorized = (bench.request({"op": "stats"}).get("http") or {}).get("unauthorized", 0)
            r.check(unauthorized >= 4, "stats count the 401s", f"{unauthorized}")
            check_refusal(r, bench)
            r.check(sub.stop() == 0, "perfbus-sub exits 0 on SIGTERM", sub.stderr())
    finally:
        shutil.rmtree(d, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
