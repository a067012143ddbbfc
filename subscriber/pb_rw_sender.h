/* pb_rw_sender: one remote_write URL — a queue, a sender thread, libcurl and snappy. */
#ifndef PB_RW_SENDER_H
#define PB_RW_SENDER_H

/* perfbus-sub's loop never waits on HTTP: it pushes encoded samples into the
 * sender's queue under a mutex (a memcpy), and the sender's own thread takes
 * batches of at most batch samples (when that many wait, or when the oldest
 * waited delay_ms), snappy-compresses them (block format) and POSTs them
 * with libcurl with the Remote-Write 1.0 headers. The thread owns the curl
 * handle (one connection, kept alive) and touches nothing of perfbus-sub
 * but the queue.
 *
 * Outcomes (pb_rw_sender_classify): 2xx sent; 5xx, 429 and network errors
 * retried with exponential backoff (min_backoff_ms doubling up to
 * max_backoff_ms; a 429's or 503's Retry-After in seconds is honoured up to
 * max_backoff_ms); any other status is the receiver refusing the data: the
 * batch is dropped, counted as failed and logged with the first 200 bytes of
 * the receiver's answer, never resent. A batch being retried goes again
 * before anything newer, so every series stays in timestamp order, and meanwhile
 * the queue fills and drops its oldest beyond its bound. libcurl and
 * libsnappy are loaded (pb_dlib) by the first sender made. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *url;         /* http:// or https:// (checked by the caller) */
    size_t queue;            /* samples queued at most (dropping the oldest); 0: 100000 */
    size_t batch;            /* samples per request at most; 0: 2000 */
    unsigned delay_ms;       /* longest a sample waits for a fuller batch; 0: 1000 */
    unsigned timeout_ms;     /* per request; 0: 10000 */
    unsigned min_backoff_ms; /* first retry's wait; 0: 30 */
    unsigned max_backoff_ms; /* longest wait between retries; 0: 5000 */
    const char *userpwd;     /* "user:password" for basic auth, or NULL */
    const char *bearer;      /* a bearer token, or NULL */
    const char *ca_file;     /* CA certificates for https, or NULL (the system's) */
    unsigned flush_ms;       /* at destroy, the longest spent sending what is queued; 0: 5000 */
} pb_rw_sender_config_t;

typedef enum { PB_RW_SENT, PB_RW_RETRY, PB_RW_FAILED } pb_rw_outcome_t;

/* What an HTTP status means to a sender; 0 stands for a network error
 * (no status: refused, reset, timed out, TLS). This function can't fail. */
pb_rw_outcome_t pb_rw_sender_classify(long status);

typedef struct {
    uint64_t samples_sent;   /* acknowledged with a 2xx */
    uint64_t requests;       /* POSTs made, retries included */
    uint64_t retried;        /* of those, answered 5xx or 429 or lost to the network */
    uint64_t failed;         /* requests refused (4xx other than 429): not resent */
    uint64_t failed_samples; /* the samples of those */
    uint64_t dropped;        /* samples dropped from the full queue (oldest first) */
    uint64_t queue_depth;    /* samples waiting now, a batch in flight included */
    long last_status;        /* the last answer's status, 0 after a network error */
    char last_error[256];    /* "" until something failed; then the latest failure */
    uint64_t last_error_ns;  /* when, ns since the epoch; 0 when none */
} pb_rw_sender_stats_t;

typedef struct pb_rw_sender pb_rw_sender_t;

/* Loads libcurl and libsnappy (once), makes the queue and the curl handle
 * from config (strings copied) and starts the thread. On error NULL with a
 * message in err. */
pb_rw_sender_t *pb_rw_sender_new(const pb_rw_sender_config_t *config, char *err, size_t errlen);

/* Starts the shutdown drain: from now the thread sends what is queued at
 * once, in batches, retrying as ever, for up to flush_ms. Returns at once;
 * several senders so drain side by side. Accepts NULL. */
void pb_rw_sender_drain(pb_rw_sender_t *self);

/* Drains (pb_rw_sender_drain, if not started yet) until the queue is sent or
 * flush_ms have passed since the drain began, then stops the thread (a request in flight is
 * aborted) and frees everything; samples still unsent then are lost, and logged with their count.
 * Accepts NULL. */
void pb_rw_sender_destroy(pb_rw_sender_t **self_p);

/* Queues the entries buf[0..len) (whole pb_prompb entries). Never blocks on
 * the network. Returns the entries queued, or -EINVAL / -ENOMEM
 * (pb_rw_queue_push). */
int pb_rw_sender_push(pb_rw_sender_t *self, const void *buf, size_t len);

/* A snapshot of the counters. This function can't fail. */
void pb_rw_sender_stats(pb_rw_sender_t *self, pb_rw_sender_stats_t *out);

/* The URL, borrowed. */
const char *pb_rw_sender_url(const pb_rw_sender_t *self);

#endif
