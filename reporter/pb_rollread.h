/* pb_rollread: a long report window from sealed segments' rollups (.pbr), not their records. */
#ifndef PB_ROLLREAD_H
#define PB_ROLLREAD_H

/* Owner: issue 13. A chart is about 1000 points wide, so a window longer
 * than PB_ROLLREAD_FINE_AFTER_S (at 1 Hz: 7200 samples per series) is drawn
 * and summarised from 1 min buckets, and one longer than
 * PB_ROLLREAD_COARSE_AFTER_S (30000 min, about 20.8 days) from 1 h buckets
 * (pb_bucket.h). The model is then bucketed (pb_model_set_buckets), and each
 * segment of the window goes one of two ways (pb_rollread_segment, a
 * pb_run_segment_fn):
 *   - a sealed segment (.pbz) whose whole time span (its index's first and
 *     last recv_ts) lies inside the window and whose rollups (.pbr) read
 *     without damage: its buckets are merged into the model, its records
 *     are not read;
 *   - a sealed segment the window cuts at one edge, with a version 2 .pbr
 *     whose receive spans follow one another: the fine buckets received
 *     wholly inside the window are merged, the records of the rest read;
 *   - any other (the open .pbl, a format-1 segment, a segment without a
 *     usable .pbr, one the window cuts at both edges): its records are read
 *     as before and the model buckets them the same way.
 * A rollup file is read whole before anything of it is merged, so a damaged
 * one (-EBADMSG anywhere) leaves the model untouched and the segment is read
 * record by record instead. */

#include "pb_model.h"

#include <stdint.h>

#define PB_ROLLREAD_FINE_AFTER_S   (2u * 3600u)
#define PB_ROLLREAD_COARSE_AFTER_S (30000u * 60u)
/* A window drawn from 1 h buckets also keeps the hosts' 1 min buckets, for
 * the percentiles (estimated from 1 h means they would be too far off:
 * schemas/STORAGE.md), while its span times the hosts of its runs is no more
 * than this: 100 host-days, 144000 minutes of buckets, about 100 MB. */
#define PB_ROLLREAD_PCT_FINE_UNTIL_S (100u * 86400u)

/* The bucket width for a window of span_s seconds: 0 (every sample),
 * PB_ROLLUP_FINE_S or PB_ROLLUP_COARSE_S. Can't fail. */
uint64_t pb_rollread_width(uint64_t span_s);

/* What a run directory's segments say of its span: first_ns, last_ns from
 * the indexes (recv_ts) of its first and last sealed segments with records
 * (a run's records are in segment order; reading the indexes between would
 * cost a month's 700 files for a span that only picks the resolution);
 * sealed: its sealed segments (0 when none has records); open: the run also
 * has .pbl segments (format 1, or the open one), whose span only run.meta
 * tells. 0 or -errno (the directory). */
typedef struct {
    uint64_t first_ns, last_ns;
    size_t sealed;
    int open;
} pb_rollread_span_t;
int pb_rollread_run_span(const char *dir, pb_rollread_span_t *span);

typedef struct pb_rollread pb_rollread_t;

/* Reads rollups into model (bucketed by the caller) for the window
 * [from_ns, to_ns] of recv_ts, keeping what filter keeps (may be NULL; both
 * borrowed for the reader's life). NULL on ENOMEM. */
pb_rollread_t *pb_rollread_new(pb_model_t *model, const pb_model_filter_t *filter, uint64_t from_ns,
                               uint64_t to_ns);
void pb_rollread_destroy(pb_rollread_t **self_p);

/* pb_run_segment_fn (arg: a pb_rollread_t): 1 when the segment at path was
 * taken from its rollups, 0 when its records are to be read (a damaged or
 * missing rollup is logged as a warning), -ENOMEM. A sealed segment the
 * window cuts at one edge is taken in part: each host's fine buckets received
 * wholly inside the window are merged (the model leaves their frames out:
 * pb_model_take), and [*from_ns, *to_ns] is narrowed to the records left to
 * read, those of the buckets the window's edge cuts. */
int pb_rollread_segment(const char *path, uint64_t *from_ns, uint64_t *to_ns, void *arg);

/* The run being read has ended: what was heard in the rolled tail of its last
 * segment is told to the model (pb_source calls it before pb_model_end_run).
 * 0 or -ENOMEM. */
int pb_rollread_end_run(pb_rollread_t *self);

/* Segments taken whole from rollups, in part (cut by the window: the rest
 * read record by record), read raw, and those whose rollups were damaged or
 * missing (read raw too), and the records the whole ones stood for. */
typedef struct {
    uint64_t rolled, partial, raw, unusable, records;
} pb_rollread_stats_t;
void pb_rollread_stats(const pb_rollread_t *self, pb_rollread_stats_t *out);

#endif
