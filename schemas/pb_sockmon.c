/* pb_sockmon: a libzmq socket monitor that counts connections and trims the allocator after churn.
 */
#include "pb_sockmon.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct pb_sockmon {
    void *pair; /* receives the monitor's [event+value][endpoint] messages */
    uint64_t accepted, closed, trims;
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
    int linger = 0,
        rc = zmq_socket_monitor(sock, endpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED);
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
    if (zmq_msg_size(&msg) >= sizeof event)
        memcpy(&event, zmq_msg_data(&msg), sizeof event);
    bool more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    while (more) { /* the endpoint part: not needed */
        zmq_msg_init(&msg);
        more = zmq_msg_recv(&msg, self->pair, 0) >= 0 && zmq_msg_more(&msg);
        zmq_msg_close(&msg);
    }
    self->accepted += event == ZMQ_EVENT_ACCEPTED;
    self->closed += event == ZMQ_EVENT_DISCONNECTED;
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
