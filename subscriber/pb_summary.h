/* pb_summary: the one implementation of statistics over numeric series (subscriber + reporter). */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

/* Owner: issue 3 (subscriber). The reporter links pb_subscriber and computes
 * its tables through this header; keep it stable.
 *
 * Definitions (tests/py/test_sub_*.py computes the same numbers):
 * - mean: arithmetic mean; stddev: POPULATION standard deviation (divide by
 *   n, numpy's default ddof=0), computed in two passes around the mean.
 * - percentiles: linear interpolation between closest ranks, numpy's default
 *   ("linear"): rank = p/100 * (n-1); v = s[floor] + (s[ceil]-s[floor]) *
 *   (rank - floor) over the sorted values s.
 * - first_ts/last_ts: smallest and largest timestamp of the samples used.
 * - NaN values mean "absent in that sample" and are skipped everywhere.
 *
 * Which fields a frame contributes (pb_summary_leaves): every numeric leaf
 * (uint, int, float; not bool) reached through nested maps, named by its
 * dotted path ("cpu.total.busy_pct", "mem.used_bytes", "rss_bytes"). Arrays
 * (per-core, per-device, per-interface lists) are not entered. The envelope
 * keys v, seq, ts and the identifiers pid, ppid, uid at the top level are not
 * series and are skipped. */

#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t count;
    double min, max, mean, stddev, p50, p95, p99;
    uint64_t first_ts, last_ts; /* ns since the Unix epoch */
} pb_summary_t;

/* Summarises the n samples (ts[i], values[i]); NaN values are skipped, and
 * only samples with from_ns <= ts <= to_ns count (pass 0 and UINT64_MAX for
 * all). Returns 0, -ENODATA when no sample counts (out is zeroed), -ENOMEM. */
int pb_summary_compute(const uint64_t *ts, const double *values, size_t n, uint64_t from_ns,
                       uint64_t to_ns, pb_summary_t *out);

/* Percentile p (0..100) of n ascending values, by the method above; NaN if
 * n == 0. This function can't fail. */
double pb_summary_percentile(const double *sorted, size_t n, double p);

/* Renders a summary as a map {count, min, max, mean, stddev, p50, p95, p99,
 * first_ts, last_ts}. Returns a new tree the caller owns, NULL on ENOMEM. */
pb_value_t *pb_summary_to_value(const pb_summary_t *self);

/* Called once per numeric leaf of a frame; path is borrowed (valid during the
 * call). A non-zero return stops the walk and is returned by the walker. */
typedef int(pb_summary_leaf_fn)(const char *path, double value, void *arg);

/* Walks the numeric leaves of a frame map as defined above. Returns 0, the
 * callback's non-zero value, or -EINVAL if frame is not a map. */
int pb_summary_leaves(const pb_value_t *frame, pb_summary_leaf_fn *fn, void *arg);

/* A set of named series filled from frames, then summarised: what the
 * reporter uses to build a run's summary table. Opaque. */
typedef struct pb_summary_set pb_summary_set_t;

/* Returns a new empty set or NULL on ENOMEM. */
pb_summary_set_t *pb_summary_set_new(void);
void pb_summary_set_destroy(pb_summary_set_t **self_p);

/* Adds one sample to the series `field`, creating it. 0 or -ENOMEM. */
int pb_summary_set_add(pb_summary_set_t *self, const char *field, uint64_t ts, double value);

/* Adds every numeric leaf of frame (pb_summary_leaves) at time ts.
 * Returns 0, -EINVAL (not a map) or -ENOMEM. */
int pb_summary_set_add_frame(pb_summary_set_t *self, const pb_value_t *frame, uint64_t ts);

/* Series, in order of first appearance. field_at returns a borrowed name or
 * NULL when i is out of range. */
size_t pb_summary_set_size(const pb_summary_set_t *self);
const char *pb_summary_set_field_at(const pb_summary_set_t *self, size_t i);

/* Borrowed raw samples of a series (for charts); -ENOENT if unknown. */
int pb_summary_set_series(const pb_summary_set_t *self, const char *field, const uint64_t **ts_p,
                          const double **values_p, size_t *n_p);

/* Summary of one series: 0, -ENOENT (unknown field), -ENODATA, -ENOMEM. */
int pb_summary_set_get(const pb_summary_set_t *self, const char *field, pb_summary_t *out);

/* Map {field: summary map} of every series with data, in order of first
 * appearance. A new tree the caller owns; NULL on ENOMEM. */
pb_value_t *pb_summary_set_to_value(const pb_summary_set_t *self);

#endif
