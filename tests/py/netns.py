"""netns: a small network of Linux network namespaces for the multi-host tests.

Net(["pub1", "pub2", "sub"]) makes one namespace per host plus one holding a
bridge; each host has an `eth0` veth whose peer is a bridge port, and an
address in 10.77.0.0/24 (.2, .3, ... in the order given). Names carry this
process's pid, so tests running in parallel never share a namespace. Needs
root and iproute2 (`ip`); anything else fails loudly. close() kills what was
started in the namespaces and deletes them (the veths go with them).
"""

import contextlib
import ctypes
import os
import shutil
import subprocess

SUBNET = "10.77.0"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args, check=True):
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def require():
    """Why the multi-host tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "ip (Debian's iproute2) is missing: scripts/deps.sh installs it"
    return None


class Net:
    def __init__(self, hosts):
        self.tag = f"pb{os.getpid()}"
        self.hosts = list(hosts)
        self.bridge_ns = f"{self.tag}-br"
        self.procs = []
        self.made = []
        try:
            self._add_ns(self.bridge_ns)
            _ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.bridge_ns, "link", "set", "br0", "up")
            for i, host in enumerate(self.hosts):
                self._add_host(i, host)
        except Exception:
            self.close()
            raise

    def _add_ns(self, name):
        _ip("netns", "add", name)
        self.made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _add_host(self, i, host):
        ns = self.ns(host)
        self._add_ns(ns)
        port = self.port_of(host)
        _ip("-n", self.bridge_ns, "link", "add", port, "type", "veth", "peer", "name", "eth0",
            "netns", ns)
        _ip("-n", self.bridge_ns, "link", "set", port, "master", "br0")
        _ip("-n", self.bridge_ns, "link", "set", port, "up")
        _ip("-n", ns, "addr", "add", f"{self.addr(host)}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")

    def ns(self, host):
        return f"{self.tag}-{host}"

    def addr(self, host):
        return f"{SUBNET}.{self.hosts.index(host) + 2}"

    def port_of(self, host):
        """The bridge-side end of host's veth (in the bridge namespace)."""
        return f"v{self.hosts.index(host)}"

    def argv(self, host, argv):
        return ["ip", "netns", "exec", self.ns(host), *map(str, argv)]

    def popen(self, host, argv, **kw):
        """Starts argv inside host's namespace; killed by close()."""
        p = subprocess.Popen(self.argv(host, argv), **kw)
        self.procs.append(p)
        return p

    def run(self, host, argv, **kw):
        return subprocess.run(self.argv(host, argv), **kw)

    @contextlib.contextmanager
    def inside(self, host):
        """Runs the block with the calling thread in host's namespace: sockets (and threads)
        made meanwhile stay there, e.g. urllib's, or a zmq.Context's I/O threads when its
        first socket is made inside."""
        back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open(f"/var/run/netns/{self.ns(host)}", os.O_RDONLY)
        try:
            if _libc.setns(there, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.ns(host)}")
            try:
                yield
            finally:
                if _libc.setns(back, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(there)
            os.close(back)

    def link(self, host, up):
        """Takes host's link up or down at the bridge: its frames go nowhere meanwhile."""
        _ip("-n", self.bridge_ns, "link", "set", self.port_of(host), "up" if up else "down")

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for name in reversed(self.made):
            _ip("netns", "del", name, check=False)
        self.made = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
