/* pb_connmon: per-endpoint connection and handshake states of a connecting socket. */
#include "pb_connmon.h"

#include "pb_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_EVENTS                                                                                   \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |                \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

typedef enum { S_CONNECTING, S_HANDSHAKING, S_UP, S_FAILING } s_state_t;

static const char *const s_state_names[] = {"connecting", "handshaking", "up", "failing"};

typedef struct {
    char *endpoint;    /* as given */
    char address[256]; /* as libzmq's events name it: a tcp:// host name resolved */
    s_state_t state;
    uint64_t since_ns;
    uint64_t connects, handshakes, failures;
    uint64_t failures_logged, logged_ns; /* failures told in the log so far, and when */
    char last_error[160];
} s_endpoint_t;

struct pb_connmon {
    void *pair; /* the monitor's PAIR end */
    char addr[64];
    void *sock;
    s_endpoint_t *endpoints; /* PB_CONNMON_MAX_ENDPOINTS slots, n used */
    size_t n;
};

static s_endpoint_t *s_add(pb_connmon_t *self, const char *endpoint, uint64_t now_ns)
{
    if (self->n == PB_CONNMON_MAX_ENDPOINTS)
        return NULL;
    s_endpoint_t *e = &self->endpoints[self->n];
    *e = (s_endpoint_t){.endpoint = strdup(endpoint), .since_ns = now_ns};
    if (!e->endpoint)
        return NULL;
    self->n++;
    return e;
}

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

pb_connmon_t *pb_connmon_new(void *ctx, void *sock, const char *const *endpoints, size_t n)
{
    pb_connmon_t *self = calloc(1, sizeof *self);
    if (self)
        self->endpoints = calloc(PB_CONNMON_MAX_ENDPOINTS, sizeof *self->endpoints);
    if (!self || !self->endpoints) {
        pb_connmon_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    self->sock = sock;
    snprintf(self->addr, sizeof self->addr, "inproc://pb-connmon-%p", (void *)self);
    for (size_t i = 0; i < n; i++)
        s_add(self, endpoints[i], s_now_ns());
    int rc = zmq_socket_monitor(sock, self->addr, S_EVENTS);
    self->pair = rc == 0 ? zmq_socket(ctx, ZMQ_PAIR) : NULL;
    int linger = 0;
    if (self->pair)
        zmq_setsockopt(self->pair, ZMQ_LINGER, &linger, sizeof linger);
    if (!self->pair || zmq_connect(self->pair, self->addr) < 0) {
        int saved = errno;
        pb_connmon_destroy(&self);
        errno = saved;
    }
    return self;
}

void pb_connmon_destroy(pb_connmon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_connmon_t *self = *self_p;
    if (self->pair) {
        zmq_socket_monitor(self->sock, NULL, 0);
        zmq_close(self->pair);
    }
    for (size_t i = 0; i < self->n; i++)
        free(self->endpoints[i].endpoint);
    free(self->endpoints);
    free(self);
    *self_p = NULL;
}

void *pb_connmon_socket(const pb_connmon_t *self)
{
    return self->pair;
}

static s_endpoint_t *s_find(pb_connmon_t *self, const char *endpoint, uint64_t now_ns)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->endpoints[i].endpoint, endpoint) == 0)
            return &self->endpoints[i];
    return s_add(self, endpoint, now_ns); /* the default endpoint, made by the caller */
}

/* Why a handshake failed, in words that say what to check. */
static void s_reason(char *buf, size_t size, uint16_t event, int32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf(buf, size,
                 "refused by the publisher's authentication (status %d): is this host's "
                 "public key in its --curve-allow?",
                 value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
             value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        snprintf(buf, size,
                 "security mismatch: CURVE on one side only (a --curve-server-key here needs a "
                 "--curve-secret there, and the other way round)");
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        snprintf(buf, size, "protocol error 0x%x in the handshake: is it a ZeroMQ endpoint?",
                 (unsigned)value);
    else
        snprintf(buf, size,
                 "the publisher closed the connection during the handshake: a wrong "
                 "--curve-server-key, this host's key not allowed there, or no CURVE there");
}

static void s_log_failure(s_endpoint_t *e, uint64_t now_ns)
{
    bool first = e->failures_logged == 0;
    if (!first && now_ns - e->logged_ns < PB_CONNMON_LOG_PERIOD_MS * 1000000ull)
        return;
    pb_log_warn("connect %s: %llu handshake(s) failed (%llu in all): %s", e->endpoint,
                (unsigned long long)(e->failures - e->failures_logged),
                (unsigned long long)e->failures, e->last_error);
    e->failures_logged = e->failures;
    e->logged_ns = now_ns;
}

static void s_on_event(s_endpoint_t *e, uint16_t event, int32_t value, uint64_t now_ns)
{
    s_state_t before = e->state;
    if (event == ZMQ_EVENT_CONNECTED) {
        e->connects++;
        e->state = S_HANDSHAKING;
    } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        e->handshakes++;
        e->state = S_UP;
        if (before == S_FAILING || (before == S_HANDSHAKING && e->failures_logged))
            pb_log_info("connect %s: up, after %llu failed handshake(s)", e->endpoint,
                        (unsigned long long)e->failures);
        e->failures_logged = 0;
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        e->state = before == S_FAILING ? S_FAILING : S_CONNECTING; /* keep the reason shown */
    } else {
        e->failures++;
        e->state = S_FAILING;
        s_reason(e->last_error, sizeof e->last_error, event, value);
        s_log_failure(e, now_ns);
    }
    if (e->state != before)
        e->since_ns = now_ns;
}

/* One event: a part of u16 event + u32 value, then one with the endpoint. */
static int s_read_event(pb_connmon_t *self, uint64_t now_ns)
{
    zmq_msg_t head, addr;
    zmq_msg_init(&head);
    zmq_msg_init(&addr);
    int rc = zmq_msg_recv(&head, self->pair, ZMQ_DONTWAIT) < 0 ? -errno : 0;
    if (rc == 0 && (!zmq_msg_more(&head) || zmq_msg_recv(&addr, self->pair, 0) < 0))
        rc = -EPROTO;
    uint16_t event = 0;
    int32_t value = 0;
    char endpoint[256];
    size_t len = zmq_msg_size(&addr) < sizeof endpoint ? zmq_msg_size(&addr) : sizeof endpoint - 1;
    if (rc == 0 && zmq_msg_size(&head) >= sizeof event + sizeof value) {
        memcpy(&event, zmq_msg_data(&head), sizeof event);
        memcpy(&value, (const char *)zmq_msg_data(&head) + sizeof event, sizeof value);
        memcpy(endpoint, zmq_msg_data(&addr), len);
        endpoint[len] = '\0';
        s_endpoint_t *e = s_find(self, endpoint, now_ns);
        if (e)
            s_on_event(e, event, value, now_ns);
    }
    zmq_msg_close(&head);
    zmq_msg_close(&addr);
    return rc;
}

void pb_connmon_drain(pb_connmon_t *self, uint64_t now_ns)
{
    while (s_read_event(self, now_ns) == 0)
        ;
}

static int s_put_endpoint(pb_value_t *arr, const s_endpoint_t *e, uint64_t now_ns)
{
    pb_value_t *m = pb_value_map_new();
    int rc = m ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(m, "endpoint", e->endpoint);
    rc = rc ? rc : pb_value_map_put_str(m, "state", s_state_names[e->state]);
    rc = rc ? rc : pb_value_map_put_uint(m, "connects", e->connects);
    rc = rc ? rc : pb_value_map_put_uint(m, "handshakes", e->handshakes);
    rc = rc ? rc : pb_value_map_put_uint(m, "failures", e->failures);
    rc = rc ? rc : pb_value_map_put_str(m, "last_error", e->last_error);
    rc = rc ? rc
            : pb_value_map_put_float(
                  m, "state_s", now_ns > e->since_ns ? (double)(now_ns - e->since_ns) / 1e9 : 0.0);
    rc = rc ? rc : pb_value_array_push(arr, &m);
    pb_value_destroy(&m);
    return rc;
}

pb_value_t *pb_connmon_value(const pb_connmon_t *self, uint64_t now_ns)
{
    pb_value_t *arr = pb_value_array_new();
    int rc = arr ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < self->n; i++)
        rc = s_put_endpoint(arr, &self->endpoints[i], now_ns);
    if (rc < 0)
        pb_value_destroy(&arr);
    return arr;
}
