#!/usr/bin/python3
"""dash.streams: /events reconnects with Last-Event-ID, over HTTP and over TLS with a token.

For each of plain HTTP and HTTPS (--http-tls-cert/--http-tls-key/--http-token-file, a
self-signed certificate trusted alone by the client):
  - a client reads a host's stream until it has seen sys and proc events, goes away while the
    publisher sends several more samples, and comes back with Last-Event-ID = the last id it
    saw: it is sent every sys and proc frame the host sent in between (by seq, against a plain
    SUB socket of the test), marked "replay", carrying that frame's own numbers, then the live
    events, all in seq order with no gap and no repeat;
  - over TLS: a stream without the token, or with a wrong one, is 401 and carries no event,
    and plain HTTP to the TLS port gets no event.
"""

import json
import socket
import time

import dashtest
import pbtest

HOST = "streamhost"
TOKEN = "perfbus-stream-token-0123456789abcdef"
AWAY_SAMPLES = 5


class Stream:
    """One /events?host=HOST stream; events() parses its SSE text into dicts."""

    def __init__(self, setup, last_id=None, headers=None):
        self.conn = setup.connection(timeout=15)
        h = setup.headers() if headers is None else headers
        if last_id is not None:
            h = {**h, "Last-Event-ID": str(last_id)}
        self.conn.request("GET", f"/events?host={HOST}", headers=h)
        self.resp = self.conn.getresponse()

    def next_event(self):
        """{id, event, data} of the next event (comments and retry lines skipped)."""
        ev = {}
        while True:
            line = self.resp.readline()
            if not line:
                pbtest.fail_now("the event stream ended")
            line = line.decode().rstrip("\n")
            if line == "":
                if "data" in ev:
                    return ev
                ev = {}
            elif line.startswith("id: "):
                ev["id"] = int(line[4:])
            elif line.startswith("event: "):
                ev["event"] = line[7:]
            elif line.startswith("data: "):
                ev["data"] = json.loads(line[6:])

    def close(self):
        self.conn.close()


def read_until(stream, done, limit=2000):
    events = []
    while not done(events):
        events.append(stream.next_event())
        if len(events) > limit:
            pbtest.fail_now(f"no end after {limit} events: {events[-3:]}")
    return events


def sent_after(setup, seq):
    """The sys and proc frames the publisher sent after seq: {seq: frame}."""
    return {s: f for s, (t, f, _) in setup.sent(HOST).items()
            if s > seq and t in ("sys", "proc")}


def same_numbers(ev, frame):
    """The event's numbers are the frame's: busy_pct for sys, cpu_pct and rss for proc. The
    history keeps rates and percentages as 32-bit floats (pb_history.h), so a replayed one is
    the frame's to float precision (relative 2**-24), where a live one is the double itself."""
    fields = ev["data"]["fields"]
    if ev["event"] == "sys":
        pairs = [(fields.get("cpu.total.busy_pct"), frame["cpu"]["total"]["busy_pct"])]
    else:
        pairs = [(fields.get(k), frame.get(k)) for k in ("cpu_pct", "rss_bytes") if k in frame]
    return all(a is not None and abs(a - b) <= 2 ** -23 * max(1.0, abs(b)) for a, b in pairs)


def check_reconnect(r, setup, what):
    first = Stream(setup)
    r.check(first.resp.status == 200 and
            first.resp.getheader("Content-Type", "").startswith("text/event-stream"),
            f"{what}: /events is a 200 event stream", f"{first.resp.status}")
    seen = read_until(first, lambda evs: sum(e["event"] == "sys" for e in evs) >= 2 and
                      any(e["event"] == "proc" for e in evs))
    last = seen[-1]["id"]
    first.close()
    setup.wait(lambda: sum(f["type"] == "sys" for f in sent_after(setup, last).values())
               >= AWAY_SAMPLES, what=f"{AWAY_SAMPLES} samples sent while away")
    again = Stream(setup, last_id=last)
    evs = read_until(again, lambda evs: sum(not e["data"].get("replay") for e in evs) >= 3)
    again.close()
    ids = [e["id"] for e in evs]
    setup.wait(lambda: max(setup.sent(HOST)) >= ids[-1], what="the test's SUB to catch up")
    replayed = [e for e in evs if e["data"].get("replay")]
    sent = sent_after(setup, last)
    wanted = sorted(s for s in sent if s <= ids[-1])
    r.check(ids == sorted(set(ids)), f"{what}: events come in seq order, none twice", f"{ids}")
    r.check(ids == wanted, f"{what}: after Last-Event-ID {last}, every sys and proc frame sent "
            f"since ({len(wanted)}) arrives, none else", f"got {ids}, sent {wanted}")
    kinds = {e["event"] for e in replayed}
    r.check(len(replayed) >= AWAY_SAMPLES and kinds == {"sys", "proc"},
            f"{what}: the missed sys and proc events come first, marked replay "
            f"({len(replayed)})", f"{[(e['id'], e['event']) for e in replayed]}")
    r.check(ids[:len(replayed)] == [e["id"] for e in replayed],
            f"{what}: replayed events precede the live ones")
    wrong = [e["id"] for e in replayed if not same_numbers(e, sent[e["id"]])]
    r.check(not wrong, f"{what}: replayed events carry their frames' numbers",
            f"differ: {[(e['data'], sent[e['id']]) for e in replayed if e['id'] in wrong[:1]]}")
    procs = [e for e in replayed if e["event"] == "proc"]
    r.check(all(e["data"]["pid"] == sent[e["id"]]["pid"] and e["data"]["comm"] for e in procs),
            f"{what}: replayed proc events name their process")


def check_refusals(r, setup):
    for label, headers in (("no token", {}), ("a wrong token", {"Authorization": "Bearer " + "x" * 40})):
        s = Stream(setup, headers=headers)
        body = s.resp.read(4096)
        s.close()
        r.check(s.resp.status == 401 and b"id: " not in body,
                f"TLS: a stream with {label} is 401 and carries no event", f"{s.resp.status} {body[:200]}")
    host, port = setup.addr.rsplit(":", 1)
    out = b""
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET /events?host={HOST} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        try:
            while len(out) < 65536 and (chunk := sock.recv(65536)):
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    r.check(b"id: " not in out, "TLS: plain HTTP to the TLS port gets no event", f"{out[:200]}")


def run(r, tls):
    what = "TLS" if tls else "HTTP"
    with dashtest.Setup([HOST], interval=0.2, daemon_flags=("--top", "4"),
                        tls=TOKEN if tls else None) as setup:
        setup.wait(setup.hosts_up, what=f"{HOST} in stats ({what})")
        setup.wait(lambda: any(t == "proc" for t, _, _ in setup.sent(HOST).values()),
                   what="a proc frame")
        check_reconnect(r, setup, what)
        if tls:
            check_refusals(r, setup)
        r.check(setup.sub.stop() == 0, f"{what}: perfbus-sub exits 0 on SIGTERM", setup.sub.stderr())


def main():
    r = pbtest.Results("dash.streams")
    start = time.monotonic()
    run(r, tls=False)
    run(r, tls=True)
    print(f"both runs took {time.monotonic() - start:.1f} s")
    r.finish()


if __name__ == "__main__":
    main()
