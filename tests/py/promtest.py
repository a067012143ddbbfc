"""promtest: Prometheus helpers for the remote_write tests -- a real /usr/bin/prometheus on a free
loopback port (restartable on the same TSDB), a fake receiver, and a prompb decoder built from a
hand-written descriptor (python3-protobuf) with snappy (python3-snappy)."""

import http.server
import threading

import pbtest  # first: it explains a missing Debian package instead of a traceback

try:
    import snappy
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as e:
    pbtest.fail_now(f"missing {e.name}: scripts/deps.sh installs python3-protobuf and "
                    "python3-snappy")

from promserver import PROMETHEUS, free_port  # noqa: F401 (re-exported for the tests)
import promserver


def Prometheus(target=None):
    """A remote-write receiver (and scraper of target): promserver's, receiver on."""
    return promserver.Prometheus(target=target, receiver=True)


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
