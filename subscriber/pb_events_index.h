/* pb_events_index: each host's recent frame seqs, so a reconnecting event client gets what it
 * missed.
 */
#ifndef PB_EVENTS_INDEX_H
#define PB_EVENTS_INDEX_H

/* The history keeps rows by ts, not by seq; an event stream names its events
 * by seq. The index holds, per host, one mark (seq, ts, pid, gone) per sys
 * and proc frame of the host's last `rows` samples (sys frames), oldest
 * first, and at most PB_EVENTS_INDEX_MARKS_PER_ROW * rows marks whatever the
 * frames. Storage grows with use (doubling), so a host with few processes
 * costs little; at 24 B a mark, 3600 samples of --top 20 are 1.8 MB.
 *
 * A replay after seq S walks the marks with seq > S (at most the newest
 * max_samples samples of them), takes each one's row from the history (the
 * sys series, or the pid's), and hands it to fn as the body of a "sys" or
 * "proc" event: {seq, ts, host, replay: true, fields: {path: number}} and,
 * for procs, pid, comm and gone. A mark whose row the history no longer
 * holds (expired, or a pid reused since) is skipped, except a gone mark,
 * which is replayed with no fields so the client learns of the exit. */

#include "pb_history.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_EVENTS_INDEX_HOSTS         256
#define PB_EVENTS_INDEX_MARKS_PER_ROW 64

typedef struct {
    uint64_t seq, ts;
    int64_t pid; /* < 0: the host's sys frame */
    bool gone;
} pb_events_mark_t;

typedef struct pb_events_index pb_events_index_t;

/* rows: samples kept per host (>= 1). NULL on ENOMEM. */
pb_events_index_t *pb_events_index_new(size_t rows);
void pb_events_index_destroy(pb_events_index_t **self_p);

/* Records mark for host. Returns 0, -ENOSPC (PB_EVENTS_INDEX_HOSTS hosts
 * held already) or -ENOMEM; a failure only costs that frame's replay. */
int pb_events_index_add(pb_events_index_t *self, const char *host, const pb_events_mark_t *mark);

/* One missed event: type "sys" or "proc", its seq, and its body (borrowed
 * for the call). A non-zero return stops the replay and is returned. */
typedef int(pb_events_replay_fn)(void *arg, const char *type, uint64_t seq, const pb_value_t *body);

typedef struct {
    const char *const *sys_fields; /* the sys fields replayed (NULL: all), as in pb_history */
    size_t nsys_fields;
    size_t max_samples; /* the newest this many samples at most (>= 1) */
} pb_events_replay_t;

/* Replays host's events after seq last, oldest first (see above). Returns
 * 0, fn's non-zero return, or -ENOMEM. A host never heard replays nothing. */
int pb_events_index_replay(const pb_events_index_t *self, const char *host, uint64_t last,
                           const pb_history_t *history, const pb_events_replay_t *how,
                           pb_events_replay_fn *fn, void *arg);

#endif
