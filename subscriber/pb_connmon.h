/* pb_connmon: the state of each endpoint perfbus-sub connects to, from its SUB socket's monitor. */
#ifndef PB_CONNMON_H
#define PB_CONNMON_H

/* A publisher that never sends looks the same from the SUB side whether it is
 * down, unreachable, or refusing our CURVE handshake: libzmq retries quietly.
 * The monitor tells them apart per endpoint:
 *   connecting   no TCP/ipc connection yet (or lost, being retried)
 *   handshaking  connected, the ZMTP/CURVE handshake not done yet
 *   up           handshake done: frames can flow
 *   failing      the last handshake failed, with the reason in last_error:
 *                a connection the publisher closed mid-handshake (a wrong
 *                --curve-server-key; or no CURVE there, when the publisher
 *                hangs up before its greeting is read), a refusal by the publisher's
 *                authentication (our key not in its allow list), a security
 *                mismatch (CURVE on one side only: libzmq then stops
 *                retrying that endpoint), or a peer that is not ZeroMQ.
 * A failing endpoint is logged at its first failure and then at most once per
 * PB_CONNMON_LOG_PERIOD_MS with the count since; its recovery is logged once. */

#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

#define PB_CONNMON_LOG_PERIOD_MS 10000
#define PB_CONNMON_MAX_ENDPOINTS 256

typedef struct pb_connmon pb_connmon_t;

/* Monitors sock (a raw libzmq socket of context ctx) which connects to
 * endpoints[0..n) (copied; each starts "connecting"). Call before connecting.
 * NULL with errno set on failure. */
pb_connmon_t *pb_connmon_new(void *ctx, void *sock, const char *const *endpoints, size_t n);
/* Accepts NULL; call before the socket's context is terminated. */
void pb_connmon_destroy(pb_connmon_t **self_p);

/* The socket to poll for ZMQ_POLLIN; then pb_connmon_drain. */
void *pb_connmon_socket(const pb_connmon_t *self);

/* Reads every waiting event without blocking; now_ns: CLOCK_MONOTONIC. */
void pb_connmon_drain(pb_connmon_t *self, uint64_t now_ns);

/* [{endpoint, state, connects, handshakes, failures, last_error, state_s}] for stats (state_s:
 * seconds in the state). NULL on ENOMEM. */
pb_value_t *pb_connmon_value(const pb_connmon_t *self, uint64_t now_ns);

#endif
