/* pb_zap: a ZAP handler that refuses handshakes over a socket's connection cap.
 *
 * libzmq 4.3.4 has no connection limit, but its NULL mechanism asks the ZAP
 * handler of the socket's context about every handshake once the socket has a
 * ZMQ_ZAP_DOMAIN: the request frames are version "1.0", request id, domain,
 * peer address (IP, no port), routing id and "NULL" (no credentials). A status
 * other than 200 makes the server send ERROR and close the connection before
 * any message of it reaches the socket. The count used is the monitor's open
 * connections, which includes the one asking, so "over the cap" is live > cap.
 *
 * A refusal does not free the connection at once: 4.3.4 sends ERROR and then
 * waits for the peer to close (a libzmq peer does so on ERROR) or for the
 * handshake timer. Every connection also costs its ~27 KiB from accept on,
 * before any handshake, and counts toward live until it closes: so during a
 * burst the newcomers are refused until the count falls back under the cap,
 * and a peer that ignores ERROR (or never handshakes) holds its memory for
 * PB_ZAP_HANDSHAKE_MS, set on the socket here, instead of libzmq's 30 s.
 *
 * When CURVE comes (czmq's zauth binds this same endpoint, and a context has
 * only one handler), this module cannot stay beside it: the cap must move into
 * that handler, i.e. zauth's verdict is combined with the live count here (or
 * zauth replaced by a handler that checks the key, then the count) before the
 * reply goes out. The monitor and the counters below carry over unchanged. */
#include "pb_zap.h"

#include "pb_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_ENDPOINT "inproc://zeromq.zap.01"
#define S_DOMAIN   "perfbus"
#define S_FRAMES   6 /* version, request id, domain, address, routing id, mechanism */

struct pb_zap {
    void *rep;
    pb_sockmon_t *mon; /* borrowed */
    size_t cap;
    const char *name;
    uint64_t admitted, refused;
    uint64_t refused_logged; /* `refused` when the last log line went out */
    uint64_t logged_ns;
};

/* One ZAP request as received: the first S_FRAMES parts, the rest dropped. */
typedef struct {
    zmq_msg_t part[S_FRAMES];
    size_t nparts;
} s_request_t;

/* ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in 4.3.4 (not in its zmq.h): a
 * socket whose handler is gone (after pb_zap_destroy) admits handshakes again. */
static int s_guard(void *sock)
{
    int ivl = PB_ZAP_HANDSHAKE_MS;
    if (zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl) < 0)
        return -errno;
    return zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, S_DOMAIN, strlen(S_DOMAIN)) < 0 ? -errno : 0;
}

pb_zap_t *pb_zap_new(void *ctx, void *sock, pb_sockmon_t *mon, size_t cap, const char *name)
{
    pb_zap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->mon = mon;
    self->cap = cap ? cap : PB_ZAP_DEFAULT_CAP;
    self->name = name ? name : "socket";
    int linger = 0;
    self->rep = zmq_socket(ctx, ZMQ_REP);
    int rc = self->rep ? 0 : -errno;
    if (rc == 0) {
        zmq_setsockopt(self->rep, ZMQ_LINGER, &linger, sizeof linger);
        rc = zmq_bind(self->rep, S_ENDPOINT) < 0 ? -errno : s_guard(sock);
    }
    if (rc < 0) {
        pb_zap_destroy(&self);
        errno = -rc;
    }
    return self;
}

void pb_zap_destroy(pb_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->rep)
        zmq_close((*self_p)->rep);
    free(*self_p);
    *self_p = NULL;
}

void *pb_zap_socket(const pb_zap_t *self)
{
    return self->rep;
}

static int s_recv(pb_zap_t *self, s_request_t *req)
{
    req->nparts = 0;
    bool more = true;
    for (int flags = ZMQ_DONTWAIT; more; flags = 0) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        int rc;
        do /* a later part is there already: a signal (SIGPROF) must not split the request */
            rc = zmq_msg_recv(&msg, self->rep, flags);
        while (rc < 0 && errno == EINTR && req->nparts > 0);
        if (rc < 0) {
            zmq_msg_close(&msg);
            return req->nparts ? 0 : -errno;
        }
        more = zmq_msg_more(&msg);
        if (req->nparts < S_FRAMES) {
            zmq_msg_init(&req->part[req->nparts]);
            zmq_msg_move(&req->part[req->nparts++], &msg); /* closed in s_release */
        }
        zmq_msg_close(&msg);
    }
    return 0;
}

static void s_release(s_request_t *req)
{
    for (size_t i = 0; i < req->nparts; i++)
        zmq_msg_close(&req->part[i]);
}

/* True when frame i of req holds exactly text. */
static bool s_is(s_request_t *req, size_t i, const char *text)
{
    size_t n = strlen(text);
    return i < req->nparts && zmq_msg_size(&req->part[i]) == n &&
           memcmp(zmq_msg_data(&req->part[i]), text, n) == 0;
}

static void s_text(s_request_t *req, size_t i, char *out, size_t size)
{
    size_t n = i < req->nparts ? zmq_msg_size(&req->part[i]) : 0;
    n = n < size - 1 ? n : size - 1;
    for (size_t k = 0; k < n; k++) { /* an address is ASCII; anything else is shown as '?' */
        unsigned char c = ((const unsigned char *)zmq_msg_data(&req->part[i]))[k];
        out[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
}

static void s_log_refusal(pb_zap_t *self, s_request_t *req, uint64_t now_ns)
{
    bool first = self->refused_logged == 0 && self->logged_ns == 0;
    if (!first && now_ns - self->logged_ns < PB_ZAP_LOG_PERIOD_MS * 1000000ull)
        return;
    char peer[64];
    s_text(req, 3, peer, sizeof peer);
    pb_log_warn("%s socket: refused %llu connection(s) over the cap of %zu open (%llu refused in "
                "all, last from '%s')",
                self->name, (unsigned long long)(self->refused - self->refused_logged), self->cap,
                (unsigned long long)self->refused, peer[0] ? peer : "local");
    self->refused_logged = self->refused;
    self->logged_ns = now_ns;
}

/* RFC 27 reply: version, request id, status code, status text, user id, metadata. */
static void s_reply(pb_zap_t *self, s_request_t *req, const char *code, const char *text)
{
    zmq_send(self->rep, "1.0", 3, ZMQ_SNDMORE);
    if (req->nparts > 1)
        zmq_send(self->rep, zmq_msg_data(&req->part[1]), zmq_msg_size(&req->part[1]), ZMQ_SNDMORE);
    else
        zmq_send(self->rep, "", 0, ZMQ_SNDMORE);
    zmq_send(self->rep, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(self->rep, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(self->rep, "", 0, ZMQ_SNDMORE);
    zmq_send(self->rep, "", 0, 0);
}

static void s_answer(pb_zap_t *self, s_request_t *req, uint64_t now_ns)
{
    if (!s_is(req, 0, "1.0") || req->nparts < S_FRAMES) {
        s_reply(self, req, "500", "malformed ZAP request");
        return;
    }
    if (!s_is(req, 2, S_DOMAIN)) { /* a socket of this context that is not ours */
        s_reply(self, req, "400", "unknown ZAP domain");
        return;
    }
    if (pb_sockmon_live(self->mon) > self->cap) {
        self->refused++;
        s_log_refusal(self, req, now_ns);
        s_reply(self, req, "400", "too many connections");
        return;
    }
    self->admitted++;
    s_reply(self, req, "200", "OK");
}

size_t pb_zap_serve(pb_zap_t *self, uint64_t now_ns)
{
    size_t answered = 0;
    s_request_t req;
    while (s_recv(self, &req) == 0) {
        pb_sockmon_drain(self->mon);
        s_answer(self, &req, now_ns);
        s_release(&req);
        answered++;
    }
    return answered;
}

size_t pb_zap_cap(const pb_zap_t *self)
{
    return self->cap;
}

void pb_zap_counts(const pb_zap_t *self, uint64_t *admitted, uint64_t *refused)
{
    *admitted = self->admitted;
    *refused = self->refused;
}

int pb_zap_parse_cap(const char *text, size_t *cap)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE || v == 0 || v > PB_ZAP_MAX_CAP)
        return -ERANGE;
    *cap = (size_t)v;
    return 0;
}
