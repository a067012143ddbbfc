/* pb_synth: synthetic runs (sys, proc and hb frames) for tests and the bench. */
#ifndef PB_SYNTH_H
#define PB_SYNTH_H

#include "pb_model.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *host;  /* envelope host */
    uint64_t start_ns; /* ts of the first sample */
    double interval_s; /* time between samples (> 0) */
    size_t samples;    /* sys frames (one per interval) */
    size_t procs;      /* proc frames per interval, pids 1000.. */
    size_t spike_at;   /* sample whose CPU user is 97 % (SIZE_MAX: none) */
    size_t lose_every; /* skip one seq number every N frames (0: never) */
    int profiles;      /* non-zero: prof frames (sampling, tracing, a failed job) mid-run */
    int format;        /* pb_synth_write: 2 (sealed, compressed segments) or 1 (as before v2) */
    size_t segment_seconds; /* pb_synth_write: rotation by time (0: by size only) */
} pb_synth_opts_t;

/* Fills opts with a small default run: host "synth", 2026-01-01T00:00:00Z,
 * 1 s, 60 samples, 3 processes, no spike, no loss; written as format 2
 * with the recorder's default rotation. Can't fail. */
void pb_synth_defaults(pb_synth_opts_t *opts);

/* Called for every frame in time order with its topic; frame is borrowed.
 * A negative return stops the generation and is returned. */
typedef int(pb_synth_fn)(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg);

/* Generates the frames: each interval an hb frame, a sys frame (the first
 * without rates, `first: true`) and `procs` proc frames. Process names
 * include Latin-1 and non-Latin-1 text and one longer than any box. With
 * opts->profiles, the middle sample adds prof frames shaped like the agent's
 * results: "split" (sampling: 70/30 split, a tree three levels deep), "fib"
 * (tracing) and "broken" (a failed job without a result).
 * Returns 0, -EINVAL (bad options), -ENOMEM, or fn's negative value. */
int pb_synth_generate(const pb_synth_opts_t *opts, pb_synth_fn *fn, void *arg);

/* Writes the frames as a new run of store with pb_run_writer (recv_ts = ts)
 * and copies the run directory into dir. Returns 0 or negative errno. */
/* pb_synth_generate into a model (every frame through pb_model_add): how the
 * tests and the bench build models of a known shape. Returns 0 or the first
 * negative errno of the generator or the model. */
int pb_synth_fill(const pb_synth_opts_t *opts, pb_model_t *model);

int pb_synth_write(const pb_synth_opts_t *opts, const char *store, char *dir, size_t size);

#endif
