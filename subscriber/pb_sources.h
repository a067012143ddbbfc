/* pb_sources: the publishers a subscriber hears from, the frames lost from each (seq gaps), and
 * each host's up/down state from its heartbeats. */
#ifndef PB_SOURCES_H
#define PB_SOURCES_H

/* A publisher is identified by its envelope `src` (new at every daemon
 * start), so a restarted publisher is a new source and never a gap. Within
 * a source, seq goes up by one per frame: a jump from a to b > a + 1 means
 * b - a - 1 frames were lost; b <= a is counted as out of order (never as
 * loss). The first frame of a source starts it, whatever its seq (we may join
 * late). At most PB_SOURCES_MAX sources are kept: the one heard from least
 * recently is forgotten first.
 *
 * Up and down: a source that sends heartbeats (hb frames, whose heartbeat_s
 * is given to pb_sources_heartbeat) is judged by them: it is down once
 * nothing at all was heard from it for more than down_after heartbeat
 * periods, up again at its next frame. Sources without heartbeats (an
 * application's agent) are never judged themselves; they take their host's
 * state. A host is what users see: it is tracked once one of its sources
 * sent a heartbeat, down when every such source of it is down, up again
 * when one of them sends a frame (a restarted publisher, a new src, brings
 * its host up with its first heartbeat). Each host keeps its last
 * PB_SOURCES_PERIODS down periods, from the last frame heard before the
 * silence to the first one after it. Down is decided by pb_sources_tick, so
 * every view (stats, health, /metrics) shows the state of the last tick;
 * up is immediate. All times are the caller's clock (recv_ns). */

#include "pb_frame.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SOURCES_MAX        256 /* sources kept, and hosts kept */
#define PB_SOURCES_PERIODS    64  /* down periods kept per host */
#define PB_SOURCES_DOWN_AFTER 3   /* missed heartbeats before down, by default */

typedef struct pb_sources pb_sources_t;

/* Returns a new empty table, NULL on ENOMEM. */
pb_sources_t *pb_sources_new(void);
void pb_sources_destroy(pb_sources_t **self_p);

/* Sets how many heartbeat periods of silence make a source down (n >= 1;
 * 0 restores PB_SOURCES_DOWN_AFTER). */
void pb_sources_set_down_after(pb_sources_t *self, unsigned n);
unsigned pb_sources_down_after(const pb_sources_t *self);

/* Notes one frame of env->src (bytes: its payload size; recv_ns: local
 * clock). Returns the number of frames lost just before it (0 normally), or
 * -ENOMEM. */
int64_t pb_sources_note(pb_sources_t *self, const pb_envelope_t *env, size_t bytes,
                        uint64_t recv_ns);

/* Notes the heartbeat period (ns, > 0) of src, which pb_sources_note has
 * seen: from then on src, and its host, are judged up or down. Unknown src
 * or period 0: ignored. */
void pb_sources_heartbeat(pb_sources_t *self, const char *src, uint64_t period_ns,
                          uint64_t recv_ns);

/* Marks down what has been silent too long at now_ns. Returns how many
 * hosts went down. */
int pb_sources_tick(pb_sources_t *self, uint64_t now_ns);

/* Frames lost over all sources, including forgotten ones. */
uint64_t pb_sources_lost(const pb_sources_t *self);

/* One publisher as pb_sources_each gives it; strings borrowed for the call. */
typedef struct {
    const char *src, *host;
    uint64_t frames, bytes, lost, last_seen_ns; /* last_seen_ns: the local clock */
    bool tracked, up; /* as of the last tick; tracked: it or its host sends heartbeats */
} pb_sources_entry_t;

/* Calls fn for every publisher kept; a non-zero return stops the walk and
 * is returned. */
typedef int(pb_sources_fn)(const pb_sources_entry_t *entry, void *arg);
int pb_sources_each(const pb_sources_t *self, pb_sources_fn *fn, void *arg);

/* A down period; to_ns 0 while the host is still down. */
typedef struct {
    uint64_t from_ns, to_ns;
} pb_sources_period_t;

/* One host as pb_sources_each_host and the transition callback give it. */
typedef struct {
    const char *host, *src; /* src: its newest source */
    bool tracked, up;       /* tracked: a source of it sent heartbeats */
    uint64_t heartbeat_ns;  /* the latest heartbeat period heard; 0: none */
    uint64_t last_seen_ns, down_total;
    size_t nperiods;                                 /* kept, at most PB_SOURCES_PERIODS */
    pb_sources_period_t periods[PB_SOURCES_PERIODS]; /* oldest first */
} pb_sources_host_t;

typedef int(pb_sources_host_fn)(const pb_sources_host_t *host, void *arg);
int pb_sources_each_host(const pb_sources_t *self, pb_sources_host_fn *fn, void *arg);

/* Called at every transition of a host (its up field is the new state); NULL: none. */
void pb_sources_set_change_fn(pb_sources_t *self, pb_sources_host_fn *fn, void *arg);

/* Array of {src, host, frames, bytes, lost, out_of_order, first_seq, last_seq,
 * first_seen_ns, last_seen_ns, state ("up", "down", "replaced": down with
 * a newer heartbeat src on its host, or "untracked": no heartbeat heard from
 * it or its host), hb_period_s (0: sends none)}; a new tree, NULL on ENOMEM. */
pb_value_t *pb_sources_to_value(const pb_sources_t *self);

/* Array of {host, state ("up", "down", or "untracked": no heartbeat heard),
 * src, hb_period_s, last_seen_ns, down_total, down: [{from_ns, to_ns}]}
 * (to_ns absent while down); a new tree, NULL on ENOMEM. */
pb_value_t *pb_sources_hosts_value(const pb_sources_t *self);

#endif
