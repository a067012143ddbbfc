/* pb_history: the series of a subscriber — one ring per host's system and per process. */
#ifndef PB_HISTORY_H
#define PB_HISTORY_H

/* Series: `sys.<host>` fed by sys frames, `proc.<host>.<pid>` fed by proc
 * frames; each row is one frame (its envelope ts), each column one of the
 * frame's catalogued numbers (counters, gauges and rates outside lists, as
 * pb_frame_reader gives them), named by its catalogue path; rates and
 * percentages are stored as floats. Frames of other types are not kept.
 *
 * Memory bound: every series is a pb_ring of `capacity` rows and at most
 * `max_fields` columns, i.e. <= 8 B * capacity * (1 + max_fields) per series,
 * and there are at most `max_procs` process series plus one system series per
 * host (hosts bounded by max_procs too). With the defaults (3600 rows, 256
 * fields, 512 processes) that is 7.4 MB per series worst case; a real sys
 * series has ~75 columns (2.2 MB) and a proc series ~30 (0.9 MB).
 *
 * Churn: a process series is freed `gone_ns` (10 s) after its `gone: true`
 * frame, so that the history and summary of a process that just exited can
 * still be asked for, and `idle_ns` (300 s) after its last frame when no such
 * frame came (the publisher stopped watching it, or the frame was lost). A
 * full table never refuses a new process while a vanished one holds a slot:
 * the new series takes the slot of the series gone longest ago, else of the
 * one silent longest if silent for more than gone_ns. Only when every slot
 * holds a live process are frames refused; the full_fn hook then reports the
 * first refusal at once and the later ones at most once per minute, with the
 * count refused since the last report (subscriber clock).
 *
 * A frame that is not `gone` for a series already gone is a new process that
 * reuses the pid: the series starts afresh. */

#include "pb_frame_reader.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t capacity; /* rows per series (--history); 0 = 3600 */
    uint64_t
        max_age_ns;    /* rows older than newest - this are dropped (--history-seconds); 0 = off */
    size_t max_fields; /* columns per series; 0 = 256 */
    size_t max_procs;  /* process series; 0 = 512 */
    uint64_t gone_ns;  /* retention after a gone frame (--gone-seconds); 0 = 10 s */
    uint64_t idle_ns;  /* retention of silent processes (--idle-seconds); 0 = 300 s */
} pb_history_config_t;

#define PB_HISTORY_REPORT_NS (60 * 1000000000ull) /* full-table reports: once a minute */

/* Told that the process table (max_procs series) refused `dropped` frames
 * since the last call. Strings: none; arg is the caller's. */
typedef void(pb_history_full_fn)(size_t max_procs, uint64_t dropped, void *arg);

/* A query: which series and which window. */
typedef struct {
    const char *host;          /* NULL: the system series updated last / any host for pid */
    int64_t pid;               /* < 0: the system series */
    double last_s;             /* > 0: only rows within last_s of the series' newest row */
    uint64_t from_ns, to_ns;   /* and within [from_ns, to_ns] (0, UINT64_MAX = all) */
    const char *const *fields; /* NULL: all; else names or prefixes ("cpu.total") */
    size_t nfields;
} pb_history_query_t;

typedef struct pb_history pb_history_t;

/* config may be NULL (all defaults). Returns NULL on ENOMEM. */
pb_history_t *pb_history_new(const pb_history_config_t *config);
void pb_history_destroy(pb_history_t **self_p);

/* Sets the full-table report hook (NULL: none; counting always happens). */
void pb_history_set_full_fn(pb_history_t *self, pb_history_full_fn *fn, void *arg);

/* Adds a frame read by pb_frame_reader. recv_ns is the subscriber's clock.
 * Returns 0 (also for ignored types), -EINVAL (a proc frame without a pid),
 * -ENOSPC when the process table is full of live processes (frame not kept)
 * or -ENOMEM. */
int pb_history_add(pb_history_t *self, const pb_frame_view_t *frame, uint64_t recv_ns);

/* The same, and keeps a copy of the frame's payload bytes (payload[0..len),
 * the bytes frame was read from) as the series' latest, for /metrics; a gone
 * frame clears it. NULL payload: none kept. Same returns. */
int pb_history_add_payload(pb_history_t *self, const pb_frame_view_t *frame, const void *payload,
                           size_t len, uint64_t recv_ns);

/* Called with each series' latest payload (borrowed for the call); a
 * non-zero return stops the walk and is returned. */
typedef int(pb_history_latest_fn)(const char *host, int64_t pid, const void *payload, size_t len,
                                  void *arg);

/* Calls fn for every series that holds a latest payload (of host only when
 * host is not NULL): the system series first, then the processes; a gone or
 * expired process has none. Returns 0 or fn's non-zero return. */
int pb_history_each_latest(const pb_history_t *self, const char *host, pb_history_latest_fn *fn,
                           void *arg);

/* True when some series (system or process) of host is held. */
bool pb_history_has_host(const pb_history_t *self, const char *host);

/* Frees process series gone more than gone_ns or silent more than idle_ns
 * before now_ns, and reports refusals still untold once a minute has passed
 * since the last report. Returns how many series were freed. */
size_t pb_history_expire(pb_history_t *self, uint64_t now_ns);

/* {series, host, pid?, comm?, ts: [uint], fields: {name: [float|nil]}} for the
 * rows of the query's window. Returns 0 with *out_p owned by the caller,
 * -ENOENT (no such series) or -ENOMEM. */
int pb_history_history(const pb_history_t *self, const pb_history_query_t *q, pb_value_t **out_p);

/* {series, host, pid?, comm?, samples, from_ns, to_ns, summary: {name: summary}}
 * (pb_summary_to_value per field with data). Same returns as above. */
int pb_history_summary(const pb_history_t *self, const pb_history_query_t *q, pb_value_t **out_p);

/* Array of {host, pid, comm, first_seen_ns, last_seen_ns, gone, samples} for
 * the process series (of q->host when set). With what = 1 each entry also
 * holds `summary`, with what = 2 `ts` and `fields` (as above) for q's window.
 * Returns 0 or -ENOMEM. */
int pb_history_processes(const pb_history_t *self, const pb_history_query_t *q, int what,
                         pb_value_t **out_p);

/* The configured gone_ns (defaults applied). */
uint64_t pb_history_gone_ns(const pb_history_t *self);

/* Number of series and bytes they hold. */
size_t pb_history_nseries(const pb_history_t *self);
size_t pb_history_memory(const pb_history_t *self);

#endif
