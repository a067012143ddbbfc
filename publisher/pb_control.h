/* pb_control: the ops of perfbusd's control socket (system, process, watch, ...). */
#ifndef PB_CONTROL_H
#define PB_CONTROL_H

#include "pb_proc_sampler.h"
#include "pb_value.h"

#include <stdint.h>

/* What the daemon tells the control ops before each batch of requests.
 * Everything is borrowed for the duration of the batch. */
typedef struct {
    const char *host;
    const char *src;
    double uptime_s;
    uint64_t frames_sent;
    double interval_s;
    const pb_value_t *latest_sys; /* NULL before the first sample */
    /* Lists the built-in agent's targets in-process (a new array the caller
     * owns; NULL on ENOMEM), never waiting on a profile. NULL: no agent. */
    pb_value_t *(*describe_targets)(void *arg);
    void *targets_arg;
    const char *profile_endpoint; /* the built-in agent's, named in `targets` */
    const char *profile_pub_endpoint;
    uint64_t max_connections;     /* the control socket's cap (pb_zap) */
    uint64_t connections_live;    /* open now, the asking one included */
    uint64_t connections_refused; /* handshakes refused over the cap */
    uint64_t handshakes_denied;   /* CURVE keys not in --curve-allow (PUB and control) */
    uint64_t handshakes_failed;   /* failed handshakes: no CURVE, wrong server key, garbage */
} pb_control_status_t;

typedef struct pb_control pb_control_t;

/* procs is borrowed and must outlive the control object; root is copied.
 * Returns NULL on ENOMEM. */
pb_control_t *pb_control_new(pb_proc_sampler_t *procs, const char *root);
void pb_control_destroy(pb_control_t **self_p);
void pb_control_set_status(pb_control_t *self, const pb_control_status_t *status);

/* A pb_rpc_handler_fn: arg is the pb_control_t. Returns the reply (caller owns). */
pb_value_t *pb_control_handle(void *arg, const char *op, const pb_value_t *request);

#endif
