/* pb_events: server-sent events of each host's new samples, for the dashboard's live view. */
#ifndef PB_EVENTS_H
#define PB_EVENTS_H

/* Every sys and proc frame perfbus-sub keeps becomes one event for the
 * clients that watch its host (or every host):
 *
 *   id: <the frame's seq>
 *   event: sys | proc
 *   data: {"seq", "ts", "host", "src", "lost", "fields": {path: number}, ...}
 *
 * sys events carry the charted numbers, those of the view DASH_SYS
 * (schemas/pb_view.def: CPU states, memory, disk and network totals, load),
 * and "lists": {list path: [{its item key and the same keys}]} for the lists
 * of the same groups ({"cpu.cores": [{"id", "user_pct", ...}], "disk.devices":
 * [{"name", ...}], ...}); proc events pid, comm, gone and the process's
 * numbers but its counters. "lost" is the frames lost before this one
 * (pb_sources). A frame's JSON is made once, whatever the client count.
 *
 * Bounds: at most max_clients clients (attach says -EBUSY beyond); each
 * client's unsent bytes sit in a pb_events_buf of client_bytes, and a client
 * whose next event does not fit is dropped (its notify fn is told DROP and
 * `dropped` counts it): intake never waits for a client and never buffers
 * without limit. A comment line every heartbeat_ms keeps idle streams open
 * and finds clients that went away.
 *
 * Reconnects: a client that attaches with Last-Event-ID = S (the seq of the
 * last event it saw) of a host is first sent, from the history, the sys and
 * proc rows that host sent after seq S (of at most max_replay samples, the
 * newest; "replay": true, no lists), in seq order, then the live events.
 * pb_events_index keeps the seqs of each host's last index_rows samples (of
 * up to PB_EVENTS_INDEX_HOSTS hosts) for this; a seq older than that, or
 * rows the history no longer holds, replay nothing. */

#include "pb_frame_reader.h"
#include "pb_history.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t max_clients;    /* 0: 64 */
    size_t client_bytes;   /* 0: 1 MiB */
    size_t index_rows;     /* samples indexed per host; 0: 3600 */
    size_t max_replay;     /* samples replayed on a reconnect; 0: 600 */
    unsigned heartbeat_ms; /* 0: 15000 */
} pb_events_config_t;

typedef struct {
    uint64_t clients;  /* attached now */
    uint64_t attached; /* since start */
    uint64_t refused;  /* over max_clients */
    uint64_t dropped;  /* whose buffer passed client_bytes */
    uint64_t events;   /* events made (once each, whatever the clients) */
    uint64_t replayed; /* rows sent from history on reconnects */
    uint64_t bytes;    /* bytes queued to clients */
} pb_events_counts_t;

typedef struct pb_events pb_events_t;
typedef struct pb_events_client pb_events_client_t;

enum { PB_EVENTS_WAKE = 1, PB_EVENTS_DROP = 2 };
/* Told that the client has bytes to read (WAKE) or was dropped (DROP: end
 * its connection, then detach it). Must not detach from inside the call. */
typedef void(pb_events_notify_fn)(void *arg, int what);

/* config may be NULL. NULL on ENOMEM. */
pb_events_t *pb_events_new(const pb_events_config_t *config);
/* Every client must have been detached first. */
void pb_events_destroy(pb_events_t **self_p);

/* A new client of host's events (NULL host: every host). last_id: the
 * Last-Event-ID header or NULL; with host and a history the missed rows are
 * queued first. Returns 0 with *out_p, -EBUSY (max_clients attached),
 * -EINVAL (last_id is not a seq) or -ENOMEM. */
int pb_events_attach(pb_events_t *self, const char *host, const char *last_id,
                     const pb_history_t *history, pb_events_notify_fn *fn, void *arg,
                     pb_events_client_t **out_p);
/* Moves up to max queued bytes into buf: the count, 0 when none, -1 once dropped. */
long pb_events_read(pb_events_client_t *client, char *buf, size_t max);
void pb_events_detach(pb_events_client_t **client_p);

/* A frame perfbus-sub kept: frame as read from payload[0..len), lost the
 * frames lost before it. Other frame types are ignored. */
void pb_events_frame(pb_events_t *self, const pb_frame_view_t *frame, const void *payload,
                     size_t len, int64_t lost);

/* Heartbeats when due (now_ms: any monotonic clock). */
void pb_events_tick(pb_events_t *self, uint64_t now_ms);

pb_events_counts_t pb_events_counts(const pb_events_t *self);
size_t pb_events_max_clients(const pb_events_t *self);

/* {clients, max_clients, client_bytes, attached, refused, dropped, events, replayed, bytes},
 * for stats.http.events. NULL on ENOMEM. */
pb_value_t *pb_events_value(const pb_events_t *self);

#endif
