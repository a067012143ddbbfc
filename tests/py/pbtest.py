"""pbtest: helpers for the cross-language contract tests (Debian python3 only).

Starts a real perfbusd on ipc:// endpoints in a temp dir, talks to its control
socket, validates payloads against schemas/*.schema.json and counts checks.
Every problem is reported loudly; nothing is skipped.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

try:
    import jsonschema
    import msgpack
    import zmq
except ImportError as e:  # a missing dependency is a failure, never a skip
    print(f"FAIL: {e}: these tests need Debian's python3-zmq, python3-msgpack and "
          f"python3-jsonschema (run with /usr/bin/python3; this is {sys.executable})")
    print("0 passed, 1 failed")
    sys.exit(1)

SCHEMA_BASE = "https://perfbus.invalid/schemas/"
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("PB_SOURCE") or os.path.normpath(os.path.join(HERE, "..", ".."))
READY_LINE = "perfbusd: ready"


# ---------------------------------------------------------------- results
class Results:
    """Counts named checks; finish() prints the tally and exits non-zero on failure."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def fatal(self, what):
        """An error that stops the test (daemon missing, did not start, died)."""
        self.failed += 1
        print(f"FAIL: {what}", flush=True)
        self.finish()

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


def fail_now(what):
    print(f"FAIL: {what}\n0 passed, 1 failed", flush=True)
    sys.exit(1)


# ---------------------------------------------------------------- schemas
def _strict_integer(checker, instance):
    """msgpack distinguishes ints from floats: 3.0 is not an integer on the wire."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", _strict_integer))


def load_schemas(source=SOURCE):
    """Returns {name: schema} for every schemas/<name>.schema.json."""
    out = {}
    folder = os.path.join(source, "schemas")
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".schema.json"):
            with open(os.path.join(folder, fn), encoding="utf-8") as f:
                out[fn[: -len(".schema.json")]] = json.load(f)
    if not out:
        fail_now(f"no schemas found in {folder}")
    return out


class Contract:
    """Validators for every schema, resolving $refs locally (never over the network)."""

    def __init__(self, source=SOURCE):
        self.schemas = load_schemas(source)
        store = {s["$id"]: s for s in self.schemas.values()}
        self.validators = {}
        for name, schema in self.schemas.items():
            resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
            self.validators[name] = StrictValidator(schema, resolver=resolver)

    def errors(self, name, instance):
        """Returns a list of readable problems; empty when instance is valid."""
        if name not in self.validators:
            return [f"no schema named {name!r}"]
        out = []
        for e in sorted(self.validators[name].iter_errors(instance), key=lambda e: e.path):
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            out.append(f"{where}: {e.message[:300]}")
        return out

    def resolve(self, name, node):
        """Follows a $ref (local or to another schema file) one step."""
        ref = node.get("$ref")
        if ref is None:
            return name, node
        doc, _, frag = ref.partition("#")
        if doc:
            name = doc[: -len(".schema.json")]
        target = self.schemas[name]
        for part in [p for p in frag.split("/") if p]:
            target = target[part]
        return name, target


# ---------------------------------------------------------------- kinds
def _subschemas(contract, name, node, instance):
    """node and every schema applied in place to the same instance."""
    seen = [(name, node)]
    if "$ref" in node:
        seen += _subschemas(contract, *contract.resolve(name, node), instance)
    for key in ("allOf",):
        for sub in node.get(key, []):
            seen += _subschemas(contract, name, sub, instance)
    for sub in node.get("oneOf", []) + node.get("anyOf", []):
        # A branch applies when the instance has all its required keys: this
        # picks live vs gone even for an instance that is invalid otherwise.
        rname, rnode = contract.resolve(name, sub)
        if all(k in instance for k in rnode.get("required", [])):
            seen += _subschemas(contract, rname, rnode, instance)
    return seen


def field_specs(contract, name, node, instance):
    """{key: (schema name, property schema)} that apply to the object instance."""
    specs = {}
    for sname, sub in _subschemas(contract, name, node, instance):
        for key, prop in sub.get("properties", {}).items():
            if isinstance(prop, dict) and (key not in specs or "x-kind" in prop):
                specs[key] = (sname, prop)
    return specs


def rate_problems(contract, name, frame):
    """Checks, using the x-kind annotations, that rates are absent exactly when
    frame['first'] is true (io rates: present exactly when their counter is)."""
    first = frame.get("first")
    if not isinstance(first, bool):
        return ["no boolean 'first' key"]
    problems = []
    _walk_rates(contract, name, contract.schemas[name], frame, first, "", problems)
    return problems


def _walk_rates(contract, name, node, obj, first, path, problems):
    for key, (sname, prop) in field_specs(contract, name, node, obj).items():
        where = f"{path}{key}"
        if prop.get("x-kind") == "rate":
            present = key in obj
            want = not first
            if want and prop.get("x-absent-when"):
                want = prop["x-counter"] in obj
            if present != want:
                state = "present" if present else "absent"
                problems.append(f"rate {where} is {state} with first={first}")
            continue
        value = obj.get(key)
        if isinstance(value, dict):
            _walk_rates(contract, sname, prop, value, first, where + ".", problems)
        elif isinstance(value, list) and isinstance(prop.get("items"), dict):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _walk_rates(contract, sname, prop["items"], item, first,
                                f"{where}[{i}].", problems)


# ---------------------------------------------------------------- wire
def unpack(payload):
    """Decodes one msgpack payload the way any consumer would (str keys only)."""
    return msgpack.unpackb(payload, raw=False, strict_map_key=True)


def topic_for(frame):
    """The topic a frame must carry: <type>.<host>[.<pid>], dots in host -> _."""
    host = frame["host"].replace(".", "_")
    tail = f".{frame['pid']}" if frame["type"] == "proc" else ""
    return f"{frame['type']}.{host}{tail}"


def build_path(*parts):
    """A binary of the build tree ($PB_BUILD); fails the test if it is missing."""
    build = os.environ.get("PB_BUILD")
    if not build:
        fail_now("PB_BUILD is not set (run through ctest, or export PB_BUILD=<build dir>)")
    path = os.path.join(build, *parts)
    if not os.access(path, os.X_OK):
        fail_now(f"{path} does not exist or is not executable: build it first")
    return path


def tls_secrets(d, token):
    """(cert, key, token file) in d: a self-signed certificate for 127.0.0.1 (openssl) and a
    bearer token file, both 0600, for perfbus-sub's --http-tls-cert/--http-tls-key/--http-token-file."""
    cert, key, token_file = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "token"))
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=perfbus-test",
           "-addext", "subjectAltName=IP:127.0.0.1"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        fail_now(f"openssl could not make a certificate: {done.stderr[-500:]}")
    os.chmod(key, 0o600)
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    return cert, key, token_file


# ---------------------------------------------------------------- process figures
def rss_kib(pid):
    """VmRSS of a live process in KiB (-1 when it has none, a zombie)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def sanitized_build():
    """True for the ASan+UBSan build ($PB_BUILD configured with PB_SANITIZE): its
    allocator (quarantine, shadow memory), not glibc's, holds freed memory, so RSS
    says nothing about what a daemon retains, and valgrind cannot run it."""
    with open(os.path.join(os.environ["PB_BUILD"], "CMakeCache.txt"), encoding="utf-8") as f:
        return any(line.strip() == "PB_SANITIZE:BOOL=ON" for line in f)


# Hostile watch patterns (issue 9): exponential for a backtracking matcher (POSIX
# regexec took 10-17 s per comm), and 19 bytes that made regcomp grow to gigabytes.
BACKREF_PATTERN = r"(.*)(.*)(.*)(.*)(.*)(.*)(.*)\7\6\5\4\3\2\1"
NESTED_PATTERN = "x{1,32767}{1,32767}"


def favour_thread(tid, nice=-10):
    """Gives one thread (a daemon's main thread: its tid is its pid) priority over the
    machine's other load. A test that times a daemon's frames measures what the daemon does
    (a request stalling its sampling), and a loaded test machine (parallel ctest, builds)
    would otherwise add its own scheduling delays of 100 ms and more to every gap. Needs
    root, which `make test` has (scripts/deps.sh); without it the test says so and goes on
    with the machine's delays included."""
    try:
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    except PermissionError:
        print(f"note: cannot renice thread {tid} to {nice} (not root): frame gaps include the "
              "machine's scheduling delays", flush=True)


def perfbusd_path():
    return build_path("publisher", "perfbusd")


class Proc:
    """A child process whose stderr is collected; ready when `ready` appears.
    `cleanup` runs before the test fails because the line never came."""

    def __init__(self, argv, ready, timeout=10.0, env=None, cleanup=None):
        self.argv = [str(a) for a in argv]
        self.log = []
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, errors="replace", env=env)
        ok = threading.Event()
        self._reader = threading.Thread(target=self._drain, args=(ready, ok), daemon=True)
        self._reader.start()
        if not ok.wait(timeout):
            self.kill()
            if cleanup:
                cleanup()
            fail_now(f"{self.argv[0]} did not print '{ready}' within {timeout} s\n"
                     f"  argv: {' '.join(self.argv)}\n  stderr: {self.stderr()}")

    def _drain(self, ready, ok):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))
            if ready in line:
                ok.set()

    def stderr(self):
        return " | ".join(self.log[-20:])

    def alive(self):
        return self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait()

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self._reader.join(2)
        return self.proc.returncode


def send_raw(ctx, endpoint, frames, kind="req", timeout=5.0, alive=lambda: True):
    """Sends the message parts `frames` (bytes) to a ROUTER over a fresh socket.
    kind: 'req' (REQ), 'dealer' (DEALER adding the empty delimiter REQ adds),
    'dealer_raw' (DEALER, no delimiter). Returns the reply payload parts, or
    None when no reply came within timeout (or alive() turned false)."""
    sock = ctx.socket(zmq.REQ if kind == "req" else zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    try:
        head = [b""] if kind == "dealer" else []
        sock.send_multipart(head + list(frames))
        end = time.monotonic() + timeout
        while not sock.poll(100):
            if time.monotonic() > end or not alive():
                return None
        parts = sock.recv_multipart()
        if kind == "dealer":
            if not parts or parts[0] != b"":
                return [b"<no empty delimiter before the reply>"] + parts
            parts = parts[1:]
        return parts
    finally:
        sock.close()


class Daemon:
    """A perfbusd on ipc:// endpoints in its own temp dir. Use as a context manager."""

    def __init__(self, *flags, interval=0.2, ready_timeout=10.0, timing=False):
        """timing: the test measures when frames go out (gaps between sys frames), so the
        sampling thread gets nice -10 (see favour_thread)."""
        binary = perfbusd_path()
        self.dir = tempfile.mkdtemp(prefix="pbtest-")
        self.pub = f"ipc://{self.dir}/pub"
        self.control = f"ipc://{self.dir}/ctl"
        self.argv = [binary, "--pub", self.pub, "--control", self.control,
                     "--interval", str(interval)] + [str(f) for f in flags]
        self.ctx = zmq.Context()
        self.child = Proc(self.argv, READY_LINE, ready_timeout,
                          cleanup=lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.proc = self.child.proc
        if timing:
            favour_thread(self.proc.pid)

    def stderr(self):
        return self.child.stderr()

    def subscribe(self, prefix=""):
        """A SUB socket with no high-water mark, so a slow test never drops frames."""
        sock = self.ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt_string(zmq.SUBSCRIBE, prefix)
        sock.connect(self.pub)
        return sock

    def collect(self, seconds, prefix=""):
        """Receives [topic, payload] messages for `seconds`; returns them raw."""
        sock = self.subscribe(prefix)
        out = []
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if sock.poll(int(left * 1000) + 1):
                out.append(sock.recv_multipart())
        sock.close()
        return out

    def send_raw(self, frames, kind="req", timeout=5.0):
        """send_raw() to the control socket; gives up early if perfbusd died."""
        return send_raw(self.ctx, self.control, frames, kind, timeout, self.alive)

    def request(self, msg, kind="req", timeout=5.0):
        """Sends a dict (packed) or bytes; returns the decoded reply map.
        Raises RuntimeError on timeout, multipart or undecodable replies."""
        payload = msg if isinstance(msg, bytes) else msgpack.packb(msg, use_bin_type=True)
        parts = self.send_raw([payload], kind, timeout)
        if parts is None:
            raise RuntimeError(f"no reply within {timeout} s to {str(msg)[:80]}")
        if len(parts) != 1:
            raise RuntimeError(f"reply has {len(parts)} parts, want 1")
        return unpack(parts[0])

    def alive(self):
        return self.child.alive()

    def check_alive(self, results):
        """Stops the test at once (with the daemon's stderr) if perfbusd died."""
        if not self.alive():
            results.fatal(f"perfbusd died (exit status {self.proc.returncode}); "
                          f"stderr: {self.stderr()}")

    def kill(self):
        self.child.kill()

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        return self.child.stop(timeout)

    def close(self):
        self.kill()
        self.ctx.destroy(linger=0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stop_and_check(daemon, results):
    """Stops the daemon with SIGTERM; it must exit with status 0."""
    rc = daemon.stop()
    results.check(rc == 0, "perfbusd exits 0 on SIGTERM",
                  f"exit status {rc}; stderr: {daemon.stderr()}")


def load_examples(folder=os.path.join(HERE, "examples")):
    """{file name: (schema name, instance)}; the schema is the name before '~' or '.json'."""
    out = {}
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".json"):
            schema = re.sub(r"(~.*)?\.json$", "", fn)
            with open(os.path.join(folder, fn), encoding="utf-8") as f:
                out[fn] = (schema, json.load(f))
    return out
