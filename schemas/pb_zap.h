/* pb_zap: a context's ZAP handler (RFC 27): caps sockets' open connections and admits CURVE
 * clients by key. */
#ifndef PB_ZAP_H
#define PB_ZAP_H

#include "pb_curve_allow.h"
#include "pb_sockmon.h"

#include <stddef.h>
#include <stdint.h>

/* An open connection costs libzmq ~27 KiB; 4096 of them ~110 MiB. Not lower:
 * hardening.daemon_abuse holds bursts of 3,000 connections open at once. */
#define PB_ZAP_DEFAULT_CAP 4096
#define PB_ZAP_MAX_CAP     65536
/* ZMQ_HANDSHAKE_IVL of a capped socket: how long a refused peer that keeps its
 * connection (or one that never completes a handshake) holds memory. */
#define PB_ZAP_HANDSHAKE_MS 5000
/* Refusals are logged at most once per period, with the count since the last line. */
#define PB_ZAP_LOG_PERIOD_MS 10000
/* Sockets of one context under one handler (perfbusd: PUB and control). */
#define PB_ZAP_MAX_SOCKETS 4

/* Opaque. */
typedef struct pb_zap pb_zap_t;

/* Binds ctx's ZAP handler (inproc://zeromq.zap.01, one per context) and puts
 * sock under it: handshakes that would take sock's open connections (counted
 * by mon, borrowed, which must monitor sock) above cap are refused. Call
 * before sock binds: libzmq copies ZMQ_ZAP_DOMAIN to a listener at bind time.
 * cap 0 means PB_ZAP_DEFAULT_CAP; name (borrowed, e.g. "control") names the
 * socket in log lines. NULL with errno set on failure (EADDRINUSE when ctx
 * has a ZAP handler already). */
pb_zap_t *pb_zap_new(void *ctx, void *sock, pb_sockmon_t *mon, size_t cap, const char *name);

/* Puts another socket of the same context under the handler (before it
 * binds), with its own ZAP domain. mon NULL means no connection cap (the
 * handler then only checks CURVE keys), else as pb_zap_new. 0, -ENOSPC past
 * PB_ZAP_MAX_SOCKETS, or negative errno from libzmq. */
int pb_zap_add(pb_zap_t *self, void *sock, pb_sockmon_t *mon, size_t cap, const char *name);

/* CURVE handshakes to every socket of the handler are admitted only when the
 * client's public key is in *allow_p (ownership taken; *allow_p set to NULL);
 * without one, every CURVE handshake is denied. NULL-mechanism handshakes
 * (sockets without CURVE) are not affected. */
void pb_zap_set_allow(pb_zap_t *self, pb_curve_allow_t **allow_p);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. Afterwards libzmq
 * admits sock's handshakes unchecked: destroy it just before closing sock. */
void pb_zap_destroy(pb_zap_t **self_p);

/* The socket to poll for ZMQ_POLLIN; then call pb_zap_serve. */
void *pb_zap_socket(const pb_zap_t *self);

/* Answers every waiting ZAP request without blocking (draining the monitor
 * first, so the count is current); now_ns is CLOCK_MONOTONIC, for the log's
 * rate limit. Returns the number answered. */
size_t pb_zap_serve(pb_zap_t *self, uint64_t now_ns);

/* The cap in force on the first socket. */
size_t pb_zap_cap(const pb_zap_t *self);

/* Totals since creation over every socket: handshakes admitted and refused
 * over a cap. */
void pb_zap_counts(const pb_zap_t *self, uint64_t *admitted, uint64_t *refused);

/* CURVE handshakes denied since creation (key not in the allow directory, or
 * no allow directory), over every socket. */
uint64_t pb_zap_denied(const pb_zap_t *self);

/* Parses a cap from text (an option, a config value, PERFBUS_MAX_CONNECTIONS):
 * a decimal integer in 1..PB_ZAP_MAX_CAP. 0 or -EINVAL / -ERANGE. */
int pb_zap_parse_cap(const char *text, size_t *cap);

#endif
