/* pb_source: reads a stored run, or a time window of a store, into a report model. */
#ifndef PB_SOURCE_H
#define PB_SOURCE_H

#include "pb_model.h"
#include "pb_progress.h"
#include "pb_segment.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *run;         /* a run directory (or id in the default store), or NULL */
    const char *store;       /* else: every run of this store directory */
    uint64_t from_ns;        /* window on recv_ts, inclusive; 0 = from the start */
    uint64_t to_ns;          /* UINT64_MAX = to the end */
    const char *host;        /* only frames of this host; NULL = all */
    const uint64_t *pids;    /* only these processes' proc frames; */
    size_t npids;            /* 0 = all processes */
    pb_progress_t *progress; /* borrowed; NULL = quiet */
} pb_source_opts_t;

typedef struct {
    uint64_t runs;                            /* runs opened */
    uint64_t records;                         /* records read within the window */
    uint64_t undecodable;                     /* records skipped: payload not a frame */
    uint64_t rolled_segments, rolled_records; /* sealed segments taken from rollups */
    uint64_t partial_segments;                /* ... in part (cut by the window) */
    pb_segment_damage_t damage;
} pb_source_stats_t;

/* Sets opts to "everything of no source" (caller then sets run or store). */
void pb_source_defaults(pb_source_opts_t *opts);

/* Loads the records selected by opts into model. A window longer than
 * PB_ROLLREAD_FINE_AFTER_S buckets the model and takes the sealed segments
 * it covers from their rollups (pb_rollread.h), unless the model was
 * bucketed already (pb_model_set_bucket: that width) or the environment's
 * PERFBUS_REPORT_RESOLUTION says auto (the default), raw (every sample,
 * however long the window), 60 or 3600 (that bucket width). Damaged records and
 * undecodable payloads are skipped, counted in stats and logged as warnings.
 * Returns 0; -ENOENT with "no such run/store" in err; -EINVAL (neither or
 * both of run and store); -ENOMEM; or -EIO. An empty selection is not an
 * error here (the model then holds 0 frames). */
int pb_source_load(const pb_source_opts_t *opts, pb_model_t *model, pb_source_stats_t *stats,
                   char *err, size_t errlen);

/* Describes the selection for the cover ("run ID" or "store DIR, FROM to
 * TO"), into buf. Can't fail (truncates). */
void pb_source_describe(const pb_source_opts_t *opts, char *buf, size_t size);

#endif
