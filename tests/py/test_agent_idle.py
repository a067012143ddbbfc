#!/usr/bin/python3
"""agent.idle_wakeups: an idle agent thread sleeps until a request or a job needs it.

perfbusd's built-in agent serves profiling requests on its own thread ("pb-agent"). With no
job pending it used to wake twice a second to look for deadlines; on a server that is CPU
and wake-ups for nothing, every second, on every host. Over 4 s of an idle daemon its
voluntary context switches must stay at 1 or fewer (one spurious wake is allowed), and it
must still answer a request at once afterwards.
"""

import os
import time

import pbtest


def task_of(pid, name):
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == name:
                return int(tid)
    return None


def wakes(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise RuntimeError("no voluntary_ctxt_switches line")


def main():
    r = pbtest.Results("agent.idle_wakeups")
    with pbtest.Daemon(interval=1.0) as d:
        pid = d.proc.pid
        tid = task_of(pid, "pb-agent")
        if not r.check(tid is not None, "perfbusd has a thread named pb-agent",
                       str(os.listdir(f"/proc/{pid}/task"))):
            r.finish()
        time.sleep(0.5)  # start-up settles
        before = wakes(pid, tid)
        time.sleep(4.0)
        woke = wakes(pid, tid) - before
        r.check(woke <= 1, "the idle agent thread woke at most once in 4 s", f"{woke} wake-ups")
        health = d.request({"op": "health"})
        endpoint = health.get("profile_endpoint")
        sock = d.ctx.socket(pbtest.zmq.DEALER)
        sock.setsockopt(pbtest.zmq.LINGER, 0)
        sock.connect(endpoint)
        sent = time.monotonic()
        sock.send_multipart([b"", pbtest.msgpack.packb({"op": "targets"})])
        answered = sock.poll(5000)
        reply = pbtest.unpack(sock.recv_multipart()[-1]) if answered else {}
        took = time.monotonic() - sent
        sock.close()
        r.check(reply.get("ok") is True, "the agent still answers", f"{str(reply)[:200]} "
                f"from {endpoint}")
        print(f"note: the agent answered in {took * 1000:.1f} ms", flush=True)
    r.finish()


if __name__ == "__main__":
    main()
