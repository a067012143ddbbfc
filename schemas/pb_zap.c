/* pb_zap: a ZAP handler that checks CURVE clients' keys and refuses handshakes over a socket's cap.
 *
 * libzmq 4.3.4 has no connection limit, but it asks the ZAP handler of the
 * socket's context about every handshake: for CURVE always, for NULL once the
 * socket has a ZMQ_ZAP_DOMAIN. The request frames are version "1.0", request
 * id, domain, peer address (IP, no port), routing id, mechanism ("NULL" or
 * "CURVE") and, for CURVE, the client's 32-byte public key. A status other
 * than 200 makes the server send ERROR and close the connection before any
 * message of it reaches the socket. Each guarded socket has its own domain,
 * so one handler (a context takes one) serves several: perfbusd's PUB (keys
 * only) and control (keys and cap). The count used for the cap is the
 * monitor's open connections, which includes the one asking, so "over the
 * cap" is live > cap.
 *
 * czmq's zauth would check keys too, but it binds this same endpoint from its
 * own actor thread and cannot count connections; so the keys are checked
 * here, against a czmq zcertstore (pb_curve_allow), then the count.
 *
 * A refusal does not free the connection at once: 4.3.4 sends ERROR and then
 * waits for the peer to close (a libzmq peer does so on ERROR) or for the
 * handshake timer. Every connection also costs its ~27 KiB from accept on,
 * before any handshake, and counts toward live until it closes: so during a
 * burst the newcomers are refused until the count falls back under the cap,
 * and a peer that ignores ERROR (or never handshakes) holds its memory for
 * PB_ZAP_HANDSHAKE_MS, set on the socket here, instead of libzmq's 30 s. */
#include "pb_zap.h"

#include "pb_curve.h"
#include "pb_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_ENDPOINT "inproc://zeromq.zap.01"
#define S_DOMAIN   "perfbus"
#define S_FRAMES   7 /* version, request id, domain, address, routing id, mechanism, key */

/* One socket under the handler. */
typedef struct {
    char domain[32];
    pb_sockmon_t *mon; /* borrowed; NULL: no cap */
    size_t cap;
    const char *name;
} s_guard_t;

/* Rate-limited log lines of one kind of refusal. */
typedef struct {
    uint64_t count, logged; /* refusals, and `count` when the last line went out */
    uint64_t logged_ns;
} s_lograte_t;

struct pb_zap {
    void *rep;
    s_guard_t guard[PB_ZAP_MAX_SOCKETS];
    size_t nguards;
    pb_curve_allow_t *allow; /* NULL: every CURVE key is denied */
    uint64_t admitted;
    s_lograte_t refused, denied;
};

/* One ZAP request as received: the first S_FRAMES parts, the rest dropped. */
typedef struct {
    zmq_msg_t part[S_FRAMES];
    size_t nparts;
} s_request_t;

/* ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in 4.3.4 (not in its zmq.h): a
 * socket whose handler is gone (after pb_zap_destroy) admits handshakes again. */
static int s_guard(void *sock, const char *domain)
{
    int ivl = PB_ZAP_HANDSHAKE_MS;
    if (zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl) < 0)
        return -errno;
    return zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) < 0 ? -errno : 0;
}

int pb_zap_add(pb_zap_t *self, void *sock, pb_sockmon_t *mon, size_t cap, const char *name)
{
    if (self->nguards == PB_ZAP_MAX_SOCKETS)
        return -ENOSPC;
    s_guard_t *g = &self->guard[self->nguards];
    if (self->nguards == 0) /* the first keeps the plain domain */
        snprintf(g->domain, sizeof g->domain, "%s", S_DOMAIN);
    else
        snprintf(g->domain, sizeof g->domain, "%s.%zu", S_DOMAIN, self->nguards);
    g->mon = mon;
    g->cap = cap ? cap : PB_ZAP_DEFAULT_CAP;
    g->name = name ? name : "socket";
    int rc = s_guard(sock, g->domain);
    self->nguards += rc == 0;
    return rc;
}

void pb_zap_set_allow(pb_zap_t *self, pb_curve_allow_t **allow_p)
{
    pb_curve_allow_destroy(&self->allow);
    self->allow = *allow_p;
    *allow_p = NULL;
}

pb_zap_t *pb_zap_new(void *ctx, void *sock, pb_sockmon_t *mon, size_t cap, const char *name)
{
    pb_zap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int linger = 0;
    self->rep = zmq_socket(ctx, ZMQ_REP);
    int rc = self->rep ? 0 : -errno;
    if (rc == 0) {
        zmq_setsockopt(self->rep, ZMQ_LINGER, &linger, sizeof linger);
        rc = zmq_bind(self->rep, S_ENDPOINT) < 0 ? -errno : pb_zap_add(self, sock, mon, cap, name);
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
    pb_curve_allow_destroy(&(*self_p)->allow);
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

/* True when the log line of r is due (the first at once, then once a period). */
static bool s_log_due(s_lograte_t *r, uint64_t now_ns)
{
    bool first = r->logged == 0 && r->logged_ns == 0;
    if (!first && now_ns - r->logged_ns < PB_ZAP_LOG_PERIOD_MS * 1000000ull)
        return false;
    r->logged_ns = now_ns;
    return true;
}

static void s_log_refusal(pb_zap_t *self, const s_guard_t *g, s_request_t *req, uint64_t now_ns)
{
    s_lograte_t *r = &self->refused;
    if (!s_log_due(r, now_ns))
        return;
    char peer[64];
    s_text(req, 3, peer, sizeof peer);
    pb_log_warn("%s socket: refused %llu connection(s) over the cap of %zu open (%llu refused in "
                "all, last from '%s')",
                g->name, (unsigned long long)(r->count - r->logged), g->cap,
                (unsigned long long)r->count, peer[0] ? peer : "local");
    r->logged = r->count;
}

static void s_log_denial(pb_zap_t *self, const s_guard_t *g, s_request_t *req, uint64_t now_ns)
{
    s_lograte_t *r = &self->denied;
    if (!s_log_due(r, now_ns))
        return;
    char peer[64], key[PB_CURVE_Z85_LEN + 1] = "?";
    s_text(req, 3, peer, sizeof peer);
    if (req->nparts > 6 && zmq_msg_size(&req->part[6]) == 32)
        zmq_z85_encode(key, zmq_msg_data(&req->part[6]), 32);
    pb_log_warn("%s socket: denied %llu CURVE handshake(s) of keys not in --curve-allow %s (%llu "
                "denied in all, last key %s from '%s')",
                g->name, (unsigned long long)(r->count - r->logged),
                self->allow ? pb_curve_allow_dir(self->allow) : "(none given)",
                (unsigned long long)r->count, key, peer[0] ? peer : "local");
    r->logged = r->count;
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

static const s_guard_t *s_find(const pb_zap_t *self, s_request_t *req)
{
    for (size_t i = 0; i < self->nguards; i++)
        if (s_is(req, 2, self->guard[i].domain))
            return &self->guard[i];
    return NULL;
}

/* A CURVE handshake: the key in frame 6 must be in the allow directory. */
static bool s_key_allowed(pb_zap_t *self, s_request_t *req, uint64_t now_ns)
{
    if (!s_is(req, 5, "CURVE"))
        return true; /* NULL: the socket is not a CURVE server */
    if (!self->allow || req->nparts < 7 || zmq_msg_size(&req->part[6]) != 32)
        return false;
    return pb_curve_allow_has(self->allow, zmq_msg_data(&req->part[6]), now_ns);
}

static void s_answer(pb_zap_t *self, s_request_t *req, uint64_t now_ns)
{
    if (!s_is(req, 0, "1.0") || req->nparts < S_FRAMES - 1) {
        s_reply(self, req, "500", "malformed ZAP request");
        return;
    }
    const s_guard_t *g = s_find(self, req);
    if (!g) { /* a socket of this context that is not ours */
        s_reply(self, req, "400", "unknown ZAP domain");
        return;
    }
    if (!s_key_allowed(self, req, now_ns)) {
        self->denied.count++;
        s_log_denial(self, g, req, now_ns);
        s_reply(self, req, "400", "key not allowed");
        return;
    }
    if (g->mon && pb_sockmon_live(g->mon) > g->cap) {
        self->refused.count++;
        s_log_refusal(self, g, req, now_ns);
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
        for (size_t i = 0; i < self->nguards; i++)
            if (self->guard[i].mon)
                pb_sockmon_drain(self->guard[i].mon);
        s_answer(self, &req, now_ns);
        s_release(&req);
        answered++;
    }
    return answered;
}

size_t pb_zap_cap(const pb_zap_t *self)
{
    return self->nguards ? self->guard[0].cap : PB_ZAP_DEFAULT_CAP;
}

void pb_zap_counts(const pb_zap_t *self, uint64_t *admitted, uint64_t *refused)
{
    *admitted = self->admitted;
    *refused = self->refused.count;
}

uint64_t pb_zap_denied(const pb_zap_t *self)
{
    return self->denied.count;
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
