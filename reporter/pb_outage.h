/* pb_outage: each host's down periods in a recorded run, from gaps in the receive times of its
 * frames. */
#ifndef PB_OUTAGE_H
#define PB_OUTAGE_H

/* perfbus-sub marks a publisher's host down once nothing was heard from it
 * for more than down_after heartbeat periods (subscriber/pb_sources.h), and
 * the recorder keeps every frame with the time it was received. So a run
 * holds the same facts: a host whose hb frames give a period p was down
 * between two of its frames received more than down_after x p apart (from
 * the first to the second), and from its last frame to the end of the run
 * when that is more than down_after x p before the run's last record. The
 * report computes the periods again from the frames rather than storing
 * perfbus-sub's own: nothing new in the run format, and a run recorded by a
 * perfbus-sub that was killed says the same. Frames must come in receive
 * order within a run (the recorder writes them so); pb_outage_end_run closes
 * a run, so the time between two runs of a store is never a down period. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_OUTAGE_MAX 1000 /* down periods kept per host; later ones are counted only */

typedef struct pb_outage pb_outage_t;

/* Returns an empty table judging by 3 missed heartbeats, or NULL on ENOMEM. */
pb_outage_t *pb_outage_new(void);
void pb_outage_destroy(pb_outage_t **self_p);

/* The run's --down-after (its config's down_after); 0 restores 3. */
void pb_outage_set_down_after(pb_outage_t *self, unsigned n);
unsigned pb_outage_down_after(const pb_outage_t *self);

/* One frame of host received at recv_ns; period_ns > 0 for an hb frame (its
 * heartbeat period), else 0. 0 or -ENOMEM. */
int pb_outage_note(pb_outage_t *self, const char *host, uint64_t recv_ns, uint64_t period_ns);

/* host's frames received from from_ns to to_ns were not read one by one (the
 * report took a sealed segment's rollups instead): a silence before from_ns
 * counts as usual, none is seen inside the span; period_ns (0: unchanged)
 * is its heartbeat period from then on. 0 or -ENOMEM. */
int pb_outage_skip(pb_outage_t *self, const char *host, uint64_t from_ns, uint64_t to_ns,
                   uint64_t period_ns);

/* The run read so far has ended (its last record, of any host, was
 * received at end_ns): hosts silent too long before it are down until then. */
int pb_outage_end_run(pb_outage_t *self, uint64_t end_ns);

/* A down period; until_end: the run ended while the host was down (to_ns is
 * then the run's last record). */
typedef struct {
    uint64_t from_ns, to_ns;
    bool until_end;
} pb_outage_period_t;

/* What is known of host: tracked (it sent heartbeats), its period, the
 * number of down periods (all of them, kept or not). false when host sent no
 * frame. */
typedef struct {
    bool tracked;
    uint64_t heartbeat_ns;
    size_t count, kept;
    double down_s; /* in all, over the kept periods */
} pb_outage_host_t;
bool pb_outage_host(const pb_outage_t *self, const char *host, pb_outage_host_t *out);

/* The i-th kept period of host (oldest first): 0, or -ENOENT. */
int pb_outage_period(const pb_outage_t *self, const char *host, size_t i, pb_outage_period_t *out);

/* The report's lines for host: a summary ("Up the whole run (heartbeat 1 s,
 * down after 3 missed)" or "Down 2 time(s), 21.3 s in all (...)"), then one line
 * per kept period ("down 2026-12-01 14:02:11.204 to 14:02:21.530 UTC
 * (10.3 s)"), at most max lines into lines (each PB_OUTAGE_LINE bytes).
 * Returns the number written; 0 when host is not tracked. */
#define PB_OUTAGE_LINE 160
size_t pb_outage_lines(const pb_outage_t *self, const char *host, char (*lines)[PB_OUTAGE_LINE],
                       size_t max);

#endif
