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
 */

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

#endif
