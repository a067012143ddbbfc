/* pb_sockmon: a libzmq socket monitor that counts connections and failed handshakes, and trims the
 * allocator after churn.
 *
 * libzmq 4.3.4's monitor events (v1) name the socket's own endpoint, not the
 * peer: a failed handshake says neither who nor which connection. The peer is
 * found the way the events come: ACCEPTED carries the new fd, whose peer
 * address is read then (getpeername; it fails when the connection is closed
 * already, and the address is then unknown); a failure is followed by the
 * DISCONNECTED of the same fd, which names the peer kept for that fd. */
#include "pb_sockmon.h"

#include <errno.h>
#include "pb_log.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_PEERS 64 /* fds whose peer address is kept, by fd % S_PEERS */
#define S_EVENTS                                                                                   \
    (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |          \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

typedef struct {
    int fd; /* -1: free */
    char addr[64];
} s_peer_t;

struct pb_sockmon {
    void *pair; /* receives the monitor's [event+value][endpoint] messages */
    uint64_t accepted, closed, trims;
    uint64_t failed_protocol, failed_auth;
    bool failure_pending;   /* a protocol failure waits for its DISCONNECTED */
    const char *name;       /* NULL: failures are not logged */
    uint64_t failed_logged; /* failed_protocol when the last log line went out */
    uint64_t logged_ns;
    s_peer_t peers[S_PEERS];
    uint64_t closed_at_trim; /* `closed` when the last trim ran */
    uint64_t last_trim_ns;
    bool storm; /* churn passed the threshold: trim until closes stop */
};

pb_sockmon_t *pb_sockmon_new(void *ctx, void *sock)
{
    pb_sockmon_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://pb-sockmon-%p", (void *)self);
    for (size_t i = 0; i < S_PEERS; i++)
        self->peers[i].fd = -1;
    int linger = 0, rc = zmq_socket_monitor(sock, endpoint, S_EVENTS);
    self->pair = rc == 0 ? zmq_socket(ctx, ZMQ_PAIR) : NULL;
    int hwm =
        100000; /* a storm of 10 k connections is 20 k events; dropped ones only delay a trim */
    if (self->pair) {
        zmq_setsockopt(self->pair, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(self->pair, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    if (!self->pair || zmq_connect(self->pair, endpoint) < 0) {
        int saved = errno;
        pb_sockmon_destroy(&self);
        errno = saved;
    }
    return self;
}

void pb_sockmon_destroy(pb_sockmon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->pair)
        zmq_close((*self_p)->pair);
    free(*self_p);
    *self_p = NULL;
}

void *pb_sockmon_socket(const pb_sockmon_t *self)
{
    return self->pair;
}

static void s_note_peer(pb_sockmon_t *self, int fd)
{
    s_peer_t *p = &self->peers[(unsigned)fd % S_PEERS];
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    p->fd = fd;
    snprintf(p->addr, sizeof p->addr, "unknown (closed before it was read)");
    if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
        return;
    char ip[INET6_ADDRSTRLEN] = "";
    unsigned port = 0;
    if (sa.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
    } else if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
    }
    if (ip[0])
        snprintf(p->addr, sizeof p->addr, "%s:%u", ip, port);
    else
        snprintf(p->addr, sizeof p->addr, "local (ipc)");
}

static void s_log_failure(pb_sockmon_t *self, const char *peer)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    bool first = self->failed_logged == 0 && self->logged_ns == 0;
    if (!self->name || (!first && now - self->logged_ns < PB_SOCKMON_LOG_PERIOD_MS * 1000000ull))
        return;
    pb_log_warn("%s socket: %llu handshake(s) failed (no CURVE, a wrong server key or not "
                "ZeroMQ; %llu in all), last from %s",
                self->name, (unsigned long long)(self->failed_protocol - self->failed_logged),
                (unsigned long long)self->failed_protocol, peer);
    self->failed_logged = self->failed_protocol;
    self->logged_ns = now;
}

static void s_on_closed(pb_sockmon_t *self, int fd)
{
    s_peer_t *p = &self->peers[(unsigned)fd % S_PEERS];
    bool known = p->fd == fd;
    if (self->failure_pending)
        s_log_failure(self, known ? p->addr : "unknown");
    self->failure_pending = false;
    if (known)
        p->fd = -1;
}

static void s_on_event(pb_sockmon_t *self, uint16_t event, int32_t value)
{
    if (event == ZMQ_EVENT_ACCEPTED) {
        self->accepted++;
        s_note_peer(self, value);
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        self->closed++;
        s_on_closed(self, value);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        self->failed_auth++;
    } else if (event &
               (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
        self->failed_protocol++;
        self->failure_pending = true;
    }
}

/* One event: a first part of u16 event id + u32 value, then the endpoint. */
static int s_read_event(pb_sockmon_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->pair, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return -errno;
    }
    uint16_t event = 0;
    int32_t value = -1;
    if (zmq_msg_size(&msg) >= sizeof event + sizeof value) {
        memcpy(&event, zmq_msg_data(&msg), sizeof event);
        memcpy(&value, (const char *)zmq_msg_data(&msg) + sizeof event, sizeof value);
    }
    bool more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    while (more) { /* the endpoint part: the socket's own, not needed */
        zmq_msg_init(&msg);
        more = zmq_msg_recv(&msg, self->pair, 0) >= 0 && zmq_msg_more(&msg);
        zmq_msg_close(&msg);
    }
    s_on_event(self, event, value);
    return 0;
}

void pb_sockmon_drain(pb_sockmon_t *self)
{
    while (s_read_event(self) == 0)
        ;
}

bool pb_sockmon_tick(pb_sockmon_t *self, uint64_t now_ns)
{
    uint64_t since = self->closed - self->closed_at_trim;
    self->storm = self->storm || since >= PB_SOCKMON_TRIM_CHURN;
    if (!self->storm)
        return false;
    if (self->trims && now_ns - self->last_trim_ns < PB_SOCKMON_TRIM_PERIOD_MS * 1000000ull)
        return false;
    if (since == 0) { /* a whole period without a close: the storm is over */
        self->storm = false;
        return false;
    }
    malloc_trim(0);
    self->closed_at_trim = self->closed;
    self->last_trim_ns = now_ns;
    self->trims++;
    return true;
}

long pb_sockmon_wait_ms(const pb_sockmon_t *self, uint64_t now_ns)
{
    bool churning = self->storm || self->closed - self->closed_at_trim >= PB_SOCKMON_TRIM_CHURN;
    if (!churning)
        return -1;
    uint64_t due = self->trims ? self->last_trim_ns + PB_SOCKMON_TRIM_PERIOD_MS * 1000000ull : 0;
    long ms = due > now_ns ? (long)((due - now_ns + 999999) / 1000000) : 1;
    return ms < 1 ? 1 : ms;
}

void pb_sockmon_set_name(pb_sockmon_t *self, const char *name)
{
    self->name = name;
}

void pb_sockmon_failures(const pb_sockmon_t *self, uint64_t *protocol, uint64_t *auth)
{
    *protocol = self->failed_protocol;
    *auth = self->failed_auth;
}

size_t pb_sockmon_live(const pb_sockmon_t *self)
{
    return self->accepted > self->closed ? (size_t)(self->accepted - self->closed) : 0;
}

void pb_sockmon_counts(const pb_sockmon_t *self, uint64_t *accepted, uint64_t *closed,
                       uint64_t *trims)
{
    *accepted = self->accepted;
    *closed = self->closed;
    *trims = self->trims;
}
