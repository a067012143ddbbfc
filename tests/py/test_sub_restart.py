#!/usr/bin/python3
"""subscriber.restart: a publisher restarted mid-run is picked up again.

perfbusd runs 2 s, is stopped and started again on the same endpoint. The
subscriber must see two publishers (two `src`), count no lost frames (the new
daemon's seq starts at 0: not a gap), and keep extending the same system
series; its log must not mention lost frames.
"""

import os
import time

import pbsub
import pbtest


def main():
    r = pbtest.Results("subscriber.restart")
    with pbsub.Bench() as bench:
        first = bench.daemon(0.1, "--pid", os.getpid())
        sub = bench.sub()
        bench.wait_for(lambda s: s.get("frames", 0) >= 10)
        time.sleep(1.0)
        r.check(first.stop() == 0, "first perfbusd exits 0", first.stderr())
        before = bench.request({"op": "summary", "fields": "uptime_s"})
        count_before = before.get("summary", {}).get("uptime_s", {}).get("count", 0)
        second = bench.daemon(0.1, "--pid", os.getpid())
        stats = bench.wait_for(lambda s: len(s.get("publishers", [])) == 2 and
                               min(p["frames"] for p in s["publishers"]) >= 10, timeout=15)
        pubs = stats.get("publishers", [])
        r.check(len(pubs) == 2, "two publishers (src) seen", str(pubs)[:300])
        r.check(len({p.get("src") for p in pubs}) == 2, "with distinct src", str(pubs)[:300])
        r.check(stats.get("lost") == 0, "no spurious loss across the restart",
                f"lost {stats.get('lost')}: {str(pubs)[:300]}")
        r.check(all(p.get("lost") == 0 for p in pubs), "no loss per publisher", str(pubs)[:300])
        after = bench.request({"op": "summary", "fields": "uptime_s"})
        count_after = after.get("summary", {}).get("uptime_s", {}).get("count", 0)
        r.check(count_after > count_before >= 10, "the system series continues after restart",
                f"{count_before} -> {count_after}")
        r.check(before.get("series") == after.get("series"), "same series name",
                f"{before.get('series')} vs {after.get('series')}")
        r.check(second.stop() == 0, "second perfbusd exits 0", second.stderr())
        r.check(sub.stop() == 0, "perfbus-sub exits 0", sub.stderr())
        r.check(not any("lost" in line for line in sub.log), "no loss in the subscriber log",
                sub.stderr())
    r.finish()


if __name__ == "__main__":
    main()
