/* pb_sub: the subscriber process — SUB sockets, frame intake, history, recorder, query socket. */
#ifndef PB_SUB_H
#define PB_SUB_H

#include "pb_history.h"
#include "pb_remote_write.h"
#include "pb_sources.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SUB_MAX_ENDPOINTS 16

typedef struct {
    const char *connect[PB_SUB_MAX_ENDPOINTS]; /* publishers; none: tcp://127.0.0.1:7710 */
    size_t nconnect;
    const char *subscribe[PB_SUB_MAX_ENDPOINTS]; /* topic prefixes; none: everything */
    size_t nsubscribe;
    const char *query; /* ROUTER endpoint; NULL: tcp://127.0.0.1:7712 */
    pb_history_config_t history;
    bool record;
    const char *store;        /* NULL: pb_run_default_store() */
    uint64_t segment_bytes;   /* 0: 64 MiB */
    uint64_t segment_seconds; /* rotation by recv_ts span (pb_options: 3600; 0: size only) */
    int compress_level;       /* zstd level of sealed segments (pb_options: 1); 0: format 1 */
    int flush_ms;             /* <= 0: 1000 */
    int intake_us;            /* frame intake time of one poll before requests; <= 0: 5000 */
    double keep_days;         /* <= 0: no age limit */
    uint64_t keep_bytes;      /* 0: no size limit */
    size_t max_connections;   /* open query connections before handshakes are refused; 0: 4096 */
    const char *http;         /* ADDR:PORT of the HTTP face (/metrics); NULL: off */
    bool insecure;            /* allow the HTTP face and the query socket beyond loopback
                                 without TLS / CURVE */
    const char *curve_secret; /* own certificate (NAME or NAME_secret); NULL: no CURVE */
    const char *curve_allow;  /* query clients' public certificates; NULL: query without
                                 CURVE (needs curve_secret when set) */
    /* per connect[i]: the publisher's public key (Z85) or certificate file;
     * NULL: that publisher is connected without CURVE. Needs curve_secret. */
    const char *curve_server_key[PB_SUB_MAX_ENDPOINTS];
    const char *http_tls_cert, *http_tls_key, *http_token_file; /* NULL: none */
    pb_remote_write_config_t remote_write; /* its insecure comes from the one above */
    unsigned down_after;                   /* missed heartbeats before a publisher is down; 0: 3 */
    int rcvhwm;                            /* the SUB socket's receive HWM in messages; 0: 100000 */
    size_t http_clients;                   /* concurrent /events streams; 0: 64 */
    size_t http_client_bytes;              /* unsent bytes per stream before a drop; 0: 1 MiB */
} pb_sub_config_t;

/* Counters of frame intake, for `stats`. */
typedef struct {
    uint64_t frames;              /* two-part messages received */
    uint64_t bytes;               /* their payload bytes */
    uint64_t bad_messages;        /* messages that were not [topic][payload] */
    uint64_t decode_errors;       /* payloads that were not msgpack */
    uint64_t envelope_errors;     /* maps without a valid envelope */
    uint64_t dropped;             /* frames not kept in history (process table full) */
    uint64_t record_errors;       /* frames the recorder failed to store */
    uint64_t max_connections;     /* the query socket's cap */
    uint64_t connections_live;    /* open to the query socket now */
    uint64_t connections_refused; /* handshakes refused over the cap */
    uint64_t connection_trims;    /* malloc_trim runs after storms of query connections */
    uint64_t handshakes_denied;   /* CURVE keys to the query socket not in curve_allow */
    uint64_t handshakes_failed;   /* failed handshakes to the query socket (no CURVE ...) */
} pb_sub_counters_t;

typedef struct pb_sub pb_sub_t;

/* Connects, subscribes, binds the query socket and (with record) creates
 * the run. config is copied. On error NULL is returned with a message in err. */
pb_sub_t *pb_sub_new(const pb_sub_config_t *config, char *err, size_t errlen);

/* Flushes and closes the run (complete), closes the sockets. Accepts NULL. */
void pb_sub_destroy(pb_sub_t **self_p);

/* Serves until *stop becomes non-zero. Returns 0, or negative errno when a
 * socket fails. */
int pb_sub_run(pb_sub_t *self, volatile sig_atomic_t *stop);

/* One step of the loop: waits at most timeout_ms for frames or requests,
 * handles what came (frames up to a count or config.intake_us, whichever
 * ends first, then requests), flushes/expires when due. 0 or negative errno. */
int pb_sub_poll(pb_sub_t *self, int timeout_ms);

/* Called by the loop after each [topic][payload] message it received has
 * been through pb_sub_ingest (kept and recorded, or counted as a decode or
 * envelope error): the bench's latency probe stamps frames with it. NULL fn:
 * none. */
typedef void pb_sub_frame_fn(void *arg);
void pb_sub_set_frame_fn(pb_sub_t *self, pb_sub_frame_fn *fn, void *arg);

/* Handles one frame as received ([topic][payload]); used by the loop and by
 * tests. This function can't fail: problems are counted. */
void pb_sub_ingest(pb_sub_t *self, const void *topic, size_t topic_len, const void *payload,
                   size_t payload_len, uint64_t recv_ns);

/* Borrowed: the bound query endpoint (ephemeral ports resolved), the run id
 * and directory (NULL unless recording). */
const char *pb_sub_query_endpoint(const pb_sub_t *self);
const char *pb_sub_run_id(const pb_sub_t *self);
const char *pb_sub_run_dir(const pb_sub_t *self);

/* Borrowed parts for the query ops. */
const pb_history_t *pb_sub_history(const pb_sub_t *self);
const pb_sources_t *pb_sub_sources(const pb_sub_t *self);
pb_sub_counters_t pb_sub_counters(const pb_sub_t *self);

/* Borrowed: the HTTP face's bound address ("127.0.0.1:PORT"), NULL when off.
 * Its counters {address, tls, requests, errors, bad_method, unauthorized, scrapes, scrape_errors,
 * skipped_payloads} or nil: a new tree, NULL on ENOMEM. */
const char *pb_sub_http_address(const pb_sub_t *self);
pb_value_t *pb_sub_http_value(const pb_sub_t *self);

/* stats.remote_write: one map per URL (pb_remote_write_value), empty when
 * off. A new tree, NULL on ENOMEM. */
pb_value_t *pb_sub_remote_write_value(const pb_sub_t *self);

/* Each --connect's state (pb_connmon_value): stats.connects. NULL on ENOMEM. */
pb_value_t *pb_sub_connects_value(const pb_sub_t *self);

/* The recorder's state {run_id, dir, records, bytes, flush_ms} or nil; the
 * subscription settings {connect, subscribe, loss_tracking, uptime_s}.
 * New trees, NULL on ENOMEM. */
pb_value_t *pb_sub_recorder_value(const pb_sub_t *self);
pb_value_t *pb_sub_settings_value(const pb_sub_t *self);

#endif
