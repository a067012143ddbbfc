/* pb_rpc: request/reply framing, validation and error replies over ZeroMQ. */
#include "pb_rpc.h"

#include "pb_codec.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_MAX_PARTS 4 /* identity, delimiter, payload and one to detect extras */
/* After a request this big (or with this many parts) the allocator holds
 * megabytes it will not return by itself: libzmq's io threads allocated them
 * in their own arenas, and glibc keeps freed heap. Trimming costs ~1 ms. */
#define S_TRIM_BYTES      (256 * 1024)
#define S_TRIM_PARTS      1024
#define S_DRAIN_BUDGET_NS (20 * 1000000ull) /* per call, draining a message of many parts */
#define S_DRAIN_CHECK     4096              /* parts between two clock reads */

/* One received ROUTER message, split into its routing part and payload. */
typedef struct {
    zmq_msg_t parts[S_MAX_PARTS];
    int nparts;     /* stored parts */
    int extra;      /* parts beyond S_MAX_PARTS, drained and dropped */
    bool delimited; /* REQ client: an empty frame follows the identity */
    size_t bytes;   /* of every part, dropped ones included */
    bool more;      /* parts remain to be received */
} s_message_t;

/* A message of very many parts (2,000,000 empty frames take ~0.4 s to drain)
 * is drained over several calls so that a caller can sample in between.
 * One per thread: a socket is served by one thread, and a thread that serves
 * two sockets at once drains the second message in one go. */
static _Thread_local struct {
    void *router;
    s_message_t m;
} s_pending;

struct pb_rpc_peer {
    zmq_msg_t identity;
    bool delimited;
};

/* Either kind of handler, so that both entry points share one path. */
typedef struct {
    pb_rpc_handler_fn plain;
    pb_rpc_deferring_fn deferring;
    void *arg;
} s_handler_t;

static void s_message_close(s_message_t *m)
{
    for (int i = 0; i < m->nparts; i++)
        zmq_msg_close(&m->parts[i]);
}

static int s_recv_part(void *sock, zmq_msg_t *msg, int flags)
{
    zmq_msg_init(msg);
    if (zmq_msg_recv(msg, sock, flags) < 0) {
        int rc = -errno;
        zmq_msg_close(msg);
        return rc;
    }
    return 0;
}

/* Receives the next part of m; extra parts beyond S_MAX_PARTS are dropped. */
static int s_recv_next(void *sock, s_message_t *m)
{
    zmq_msg_t spare;
    bool keep = m->nparts < S_MAX_PARTS;
    zmq_msg_t *part = keep ? &m->parts[m->nparts] : &spare;
    int rc = s_recv_part(sock, part, m->nparts ? 0 : ZMQ_DONTWAIT);
    if (rc < 0)
        return rc;
    m->more = zmq_msg_more(part);
    m->bytes += zmq_msg_size(part);
    if (keep)
        m->nparts++;
    else {
        zmq_msg_close(&spare);
        m->extra++;
    }
    return 0;
}

static uint64_t s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Receives the rest of m within S_DRAIN_BUDGET_NS; -EINPROGRESS if parts remain. */
static int s_recv_rest(void *sock, s_message_t *m)
{
    uint64_t until = s_mono_ns() + S_DRAIN_BUDGET_NS;
    for (unsigned n = 1; m->more; n++) {
        if (s_recv_next(sock, m) < 0) {
            m->more = false; /* cannot happen inside a message; answer what arrived */
            break;
        }
        if (n % S_DRAIN_CHECK == 0 && s_mono_ns() > until)
            return m->more ? -EINPROGRESS : 0;
    }
    /* [id][""] alone is a DEALER sending an empty payload, not a REQ envelope */
    m->delimited = m->nparts >= 3 && zmq_msg_size(&m->parts[1]) == 0;
    return 0;
}

static int s_recv_message(void *sock, s_message_t *m)
{
    memset(m, 0, sizeof *m);
    int rc = s_recv_next(sock, m);
    return rc < 0 ? rc : s_recv_rest(sock, m);
}

int pb_rpc_limit_socket(void *sock, pb_rpc_traffic_t traffic)
{
    int64_t max = traffic == PB_RPC_FRAMES ? PB_RPC_MAX_FRAME_MSG : PB_RPC_MAX_REQUEST_MSG;
    return zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max) < 0 ? -errno : 0;
}

pb_value_t *pb_rpc_ok(void)
{
    pb_value_t *reply = pb_value_map_new();
    if (reply && pb_value_map_put_bool(reply, "ok", true) < 0)
        pb_value_destroy(&reply);
    return reply;
}

pb_value_t *pb_rpc_error(const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    pb_value_t *reply = pb_value_map_new();
    pb_value_t *error = pb_value_map_new();
    int rc = reply && error ? 0 : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put_str(error, "code", code);
    if (rc == 0)
        rc = pb_value_map_put_str(error, "message", message);
    if (rc == 0)
        rc = pb_value_map_put_bool(reply, "ok", false);
    if (rc == 0)
        rc = pb_value_map_put(reply, "error", &error);
    pb_value_destroy(&error);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

static pb_value_t *s_call(const s_handler_t *h, const char *op, const pb_value_t *request,
                          const s_message_t *m, bool *deferred)
{
    if (h->plain)
        return h->plain(h->arg, op, request);
    pb_rpc_peer_t peer = {.delimited = m->delimited};
    zmq_msg_init(&peer.identity);
    zmq_msg_copy(&peer.identity, (zmq_msg_t *)&m->parts[0]);
    pb_value_t *reply = h->deferring(h->arg, op, request, &peer, deferred);
    zmq_msg_close(&peer.identity);
    return reply;
}

/* The reply to a request pb_codec refused; each limit is named in the message. */
static pb_value_t *s_decode_error(int rc, size_t len, const char *why)
{
    if (rc == -EMSGSIZE)
        return pb_rpc_error("too_large", "request of %zu bytes exceeds the %d-byte limit", len,
                            PB_CODEC_MAX_BYTES);
    if (rc == -EOVERFLOW)
        return pb_rpc_error("too_large",
                            "request has more than %d msgpack objects (keys and values count); "
                            "that is the limit for requests",
                            PB_CODEC_REQUEST_OBJECTS);
    if (rc == -ELOOP)
        return pb_rpc_error("too_deep", "%s", why);
    if (rc == -ENOMEM)
        return pb_rpc_error("internal", "out of memory while decoding the request");
    return pb_rpc_error("bad_msgpack", "%s", why);
}

/* Checks the payload and produces the reply: the handler's, or an error;
 * NULL with *deferred set when the handler answers later. */
static pb_value_t *s_answer(const s_message_t *m, const s_handler_t *h, bool *deferred)
{
    int payload_at = m->delimited ? 2 : 1;
    if (m->nparts <= payload_at)
        return pb_rpc_error("bad_msgpack", "empty request: expected one msgpack map");
    if (m->nparts > payload_at + 1 || m->extra)
        return pb_rpc_error("multipart", "request has %d payload frames; send exactly one",
                            m->nparts - payload_at + m->extra);
    const zmq_msg_t *payload = &m->parts[payload_at];
    size_t len = zmq_msg_size(payload);
    pb_value_t *request = NULL;
    char why[192] = "";
    int rc = pb_codec_decode_limited(zmq_msg_data((zmq_msg_t *)payload), len,
                                     &pb_codec_request_limits, &request, why, sizeof why);
    if (rc < 0)
        return s_decode_error(rc, len, why);
    pb_value_t *reply = NULL;
    const char *op = NULL;
    pb_value_t *op_value = pb_value_map_get(request, "op");
    if (pb_value_type(request) != PB_MAP)
        reply = pb_rpc_error("not_a_map", "request is a msgpack %s; expected a map {op, ...}",
                             pb_value_type_name(pb_value_type(request)));
    else if (!op_value || pb_value_get_str(op_value, &op) < 0)
        reply = pb_rpc_error("missing_op", "request has no string 'op' key");
    else
        reply = s_call(h, op, request, m, deferred);
    pb_value_destroy(&request);
    return reply;
}

static int s_send_reply(void *sock, const zmq_msg_t *identity, bool delimited,
                        const pb_value_t *reply)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_codec_encode(reply, &buf, &len);
    if (rc < 0)
        return rc;
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, (zmq_msg_t *)identity);
    rc = zmq_msg_send(&id, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && delimited)
        rc = zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(sock, buf, len, ZMQ_DONTWAIT);
    zmq_msg_close(&id);
    free(buf);
    /* a client that went away is its own problem: never block on it */
    return rc < 0 && errno != EHOSTUNREACH && errno != EAGAIN ? -errno : 0;
}

/* Receives a whole message into *m_p, resuming one this thread began to
 * drain; -EINPROGRESS when parts remain for the next call. */
static int s_receive(void *router, s_message_t **m_p, s_message_t *local)
{
    if (s_pending.router == router) {
        *m_p = &s_pending.m;
        int rc = s_recv_rest(router, *m_p);
        if (rc == 0)
            s_pending.router = NULL;
        return rc;
    }
    if (s_pending.router) { /* this thread is draining another socket: no deferral */
        *m_p = local;
        int rc = s_recv_message(router, local);
        while (rc == -EINPROGRESS)
            rc = s_recv_rest(router, local);
        return rc;
    }
    *m_p = &s_pending.m;
    int rc = s_recv_message(router, *m_p);
    if (rc == -EINPROGRESS)
        s_pending.router = router;
    return rc;
}

static int s_serve(void *router, const s_handler_t *h)
{
    s_message_t local, *m = NULL;
    int rc = s_receive(router, &m, &local);
    if (rc == -EINPROGRESS)
        return 0; /* progress made; the rest is still readable */
    if (rc < 0)
        return rc;
    bool deferred = false;
    pb_value_t *reply = s_answer(m, h, &deferred);
    if (!reply && !deferred)
        reply = pb_rpc_error("internal", "out of memory");
    rc = reply ? s_send_reply(router, &m->parts[0], m->delimited, reply) : deferred ? 0 : -ENOMEM;
    pb_value_destroy(&reply);
    s_message_close(m);
    if (m->bytes >= S_TRIM_BYTES || m->nparts + m->extra >= S_TRIM_PARTS)
        malloc_trim(0);
    return rc;
}

int pb_rpc_serve_one(void *router, pb_rpc_handler_fn handler, void *arg)
{
    s_handler_t h = {.plain = handler, .arg = arg};
    return s_serve(router, &h);
}

int pb_rpc_serve_one_deferring(void *router, pb_rpc_deferring_fn handler, void *arg)
{
    s_handler_t h = {.deferring = handler, .arg = arg};
    return s_serve(router, &h);
}

pb_rpc_peer_t *pb_rpc_peer_dup(const pb_rpc_peer_t *peer)
{
    pb_rpc_peer_t *copy = calloc(1, sizeof *copy);
    if (!copy)
        return NULL;
    copy->delimited = peer->delimited;
    zmq_msg_init(&copy->identity);
    zmq_msg_copy(&copy->identity, (zmq_msg_t *)&peer->identity);
    return copy;
}

void pb_rpc_peer_destroy(pb_rpc_peer_t **peer_p)
{
    if (!peer_p || !*peer_p)
        return;
    zmq_msg_close(&(*peer_p)->identity);
    free(*peer_p);
    *peer_p = NULL;
}

int pb_rpc_reply(void *router, const pb_rpc_peer_t *peer, const pb_value_t *reply)
{
    return s_send_reply(router, &peer->identity, peer->delimited, reply);
}

static int s_fail(char *err, size_t errlen, int rc, const char *fmt, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, what);
    return rc;
}

/* Sends the encoded request and waits for one reply part. */
static int s_exchange(void *req, const char *endpoint, const char *buf, size_t len, int timeout_ms,
                      zmq_msg_t *reply, char *err, size_t errlen)
{
    if (zmq_connect(req, endpoint) < 0)
        return s_fail(err, errlen, -errno, "cannot connect to %s", endpoint);
    if (zmq_send(req, buf, len, 0) < 0)
        return s_fail(err, errlen, -errno, "cannot send to %s", endpoint);
    zmq_pollitem_t item = {.socket = req, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return s_fail(err, errlen, -ETIMEDOUT, "no reply from %s (is the daemon running?)",
                      endpoint);
    zmq_msg_init(reply);
    if (zmq_msg_recv(reply, req, 0) < 0) {
        zmq_msg_close(reply);
        return s_fail(err, errlen, -errno, "receive from %s failed", endpoint);
    }
    return 0;
}

int pb_rpc_call(const char *endpoint, pb_value_t **request_p, int timeout_ms, pb_value_t **reply_p,
                char *err, size_t errlen)
{
    return pb_rpc_call_curve(endpoint, NULL, NULL, request_p, timeout_ms, reply_p, err, errlen);
}

int pb_rpc_call_curve(const char *endpoint, const pb_curve_cert_t *own, const char *server_z85,
                      pb_value_t **request_p, int timeout_ms, pb_value_t **reply_p, char *err,
                      size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_codec_encode(*request_p, &buf, &len);
    pb_value_destroy(request_p);
    *reply_p = NULL;
    if (rc < 0)
        return s_fail(err, errlen, rc, "cannot encode the request for %s", endpoint);
    void *ctx = zmq_ctx_new();
    void *req = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
    int linger = 0;
    if (req)
        zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
    zmq_msg_t reply;
    rc = !req ? -ENOMEM : own ? pb_curve_apply_client(req, own, server_z85) : 0;
    if (rc < 0 && req)
        s_fail(err, errlen, rc, "cannot set the CURVE keys for %s", endpoint);
    rc = rc ? rc : s_exchange(req, endpoint, buf, len, timeout_ms, &reply, err, errlen);
    if (rc == 0) {
        rc = pb_codec_decode(zmq_msg_data(&reply), zmq_msg_size(&reply), reply_p, err, errlen);
        zmq_msg_close(&reply);
    }
    free(buf);
    if (req)
        zmq_close(req);
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}
