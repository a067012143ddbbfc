/* pb_sources: the publishers a subscriber hears from, and the frames lost from each (seq gaps). */
#ifndef PB_SOURCES_H
#define PB_SOURCES_H

/* A publisher is identified by its envelope `src` (new at every daemon
 * start), so a restarted publisher is a new source and never a gap. Within
 * a source, seq goes up by one per frame: a jump from a to b > a + 1 means
 * b - a - 1 frames were lost; b <= a is counted as out of order (never as
 * loss). The first frame of a source starts it, whatever its seq (we may join
 * late). At most PB_SOURCES_MAX sources are kept: the one heard from least
 * recently is forgotten first. */

#include "pb_frame.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

#define PB_SOURCES_MAX 256

typedef struct pb_sources pb_sources_t;

/* Returns a new empty table, NULL on ENOMEM. */
pb_sources_t *pb_sources_new(void);
void pb_sources_destroy(pb_sources_t **self_p);

/* Notes one frame of env->src (bytes: its payload size; recv_ns: local
 * clock). Returns the number of frames lost just before it (0 normally), or
 * -ENOMEM. */
int64_t pb_sources_note(pb_sources_t *self, const pb_envelope_t *env, size_t bytes,
                        uint64_t recv_ns);

/* Frames lost over all sources, including forgotten ones. */
uint64_t pb_sources_lost(const pb_sources_t *self);

/* One publisher as pb_sources_each gives it; strings borrowed for the call. */
typedef struct {
    const char *src, *host;
    uint64_t frames, bytes, lost, last_seen_ns; /* last_seen_ns: the local clock */
} pb_sources_entry_t;

/* Calls fn for every publisher kept; a non-zero return stops the walk and
 * is returned. */
typedef int(pb_sources_fn)(const pb_sources_entry_t *entry, void *arg);
int pb_sources_each(const pb_sources_t *self, pb_sources_fn *fn, void *arg);

/* Array of {src, host, frames, bytes, lost, out_of_order, first_seq, last_seq,
 * first_seen_ns, last_seen_ns}; a new tree, NULL on ENOMEM. */
pb_value_t *pb_sources_to_value(const pb_sources_t *self);

#endif
