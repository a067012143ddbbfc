/* pb_daemon: perfbusd's sockets and sampling loop. */
#ifndef PB_DAEMON_H
#define PB_DAEMON_H

#include "pb_config.h"

#include <signal.h>
#include <stddef.h>

typedef struct pb_daemon pb_daemon_t;

/* Binds the PUB and control sockets and prepares the samplers from config.
 * Returns NULL with the reason in err (bad endpoint, address in use, bad
 * regex, out of memory). */
pb_daemon_t *pb_daemon_new(const pb_config_t *config, char *err, size_t errlen);

/* The endpoints actually bound (ephemeral ports resolved); borrowed. */
const char *pb_daemon_pub_endpoint(const pb_daemon_t *self);
const char *pb_daemon_control_endpoint(const pb_daemon_t *self);
/* The built-in profiling agent's ROUTER and PUB endpoints; borrowed. */
const char *pb_daemon_profile_endpoint(const pb_daemon_t *self);
const char *pb_daemon_profile_pub_endpoint(const pb_daemon_t *self);

/* Samples, publishes and serves requests until *stop becomes non-zero.
 * Returns 0 on a requested stop, or a negative errno if a socket failed. */
int pb_daemon_run(pb_daemon_t *self, volatile sig_atomic_t *stop);

void pb_daemon_destroy(pb_daemon_t **self_p);

#endif
