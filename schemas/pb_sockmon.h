/* pb_sockmon: counts a socket's connections through a libzmq monitor and returns freed memory after
 * storms. */
#ifndef PB_SOCKMON_H
#define PB_SOCKMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every connection costs libzmq ~80 KiB (engine buffers, pipes), allocated in
 * its io threads' arenas; after a storm of thousands glibc keeps the freed
 * memory. Once PB_SOCKMON_TRIM_CHURN connections have closed since the last
 * trim, trims run at most once per PB_SOCKMON_TRIM_PERIOD_MS for as long as
 * connections keep closing, and once more after the last of them. */
#define PB_SOCKMON_TRIM_CHURN     64
#define PB_SOCKMON_TRIM_PERIOD_MS 500

/* Failed handshakes (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL / _NO_DETAIL: a peer
 * without CURVE, with the wrong server key, or not speaking ZMTP) are logged
 * at most once per period, with the count since the last line. */
#define PB_SOCKMON_LOG_PERIOD_MS 10000

/* Opaque. */
typedef struct pb_sockmon pb_sockmon_t;

/* Monitors accepted and closed connections of sock (a raw libzmq socket of
 * context ctx). NULL with errno set on failure. */
pb_sockmon_t *pb_sockmon_new(void *ctx, void *sock);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. Call before the
 * monitored socket's context is terminated. */
void pb_sockmon_destroy(pb_sockmon_t **self_p);

/* The socket to poll for ZMQ_POLLIN; then call pb_sockmon_drain. */
void *pb_sockmon_socket(const pb_sockmon_t *self);

/* Reads every waiting event without blocking. */
void pb_sockmon_drain(pb_sockmon_t *self);

/* Trims the allocator (malloc_trim) if connections churned enough since the
 * last trim and the period has passed; now_ns is CLOCK_MONOTONIC. Returns
 * true when it trimmed. Cheap when there was no churn. */
bool pb_sockmon_tick(pb_sockmon_t *self, uint64_t now_ns);

/* How long a loop that sleeps may wait before pb_sockmon_tick has work: ms
 * until the next trim is allowed while connections churn (at least 1), -1
 * (no limit) when they do not. */
long pb_sockmon_wait_ms(const pb_sockmon_t *self, uint64_t now_ns);

/* Names the socket in log lines of failed handshakes ("pub", "control"):
 * borrowed, pass a literal. Without a name failures are counted, not logged. */
void pb_sockmon_set_name(pb_sockmon_t *self, const char *name);

/* Handshakes failed since creation: by protocol (ZMQ_EVENT_HANDSHAKE_FAILED_
 * PROTOCOL and _NO_DETAIL: no CURVE, wrong key, garbage) and by ZAP's verdict
 * (_AUTH: refused by pb_zap, which counts and logs those itself). */
void pb_sockmon_failures(const pb_sockmon_t *self, uint64_t *protocol, uint64_t *auth);

/* Connections accepted and not yet closed. */
size_t pb_sockmon_live(const pb_sockmon_t *self);

/* Totals since creation: connections accepted, closed and trims done. */
void pb_sockmon_counts(const pb_sockmon_t *self, uint64_t *accepted, uint64_t *closed,
                       uint64_t *trims);

#endif
