/* pb_bucket: time buckets of min/max/sum/count per column, and exact summaries over them. */
#ifndef PB_BUCKET_H
#define PB_BUCKET_H

/* Owner: issue 13. A long report window is drawn and summarised from
 * buckets of PB_ROLLUP_FINE_S or PB_ROLLUP_COARSE_S seconds rather than from
 * every sample: a sealed segment's rollups (.pbr) give its buckets whole,
 * and every other record (the open segment, a segment without usable
 * rollups, the edges of the window) is added sample by sample into the same
 * buckets, aligned the same way (UTC seconds of the envelope ts, as the
 * rollup writer does), so both paths give the same numbers.
 *
 * Summaries over buckets (pb_bucket_summarise): count, min, max and mean
 * (sum of sums / sum of counts) are exact. A percentile is estimated as the
 * count-weighted percentile of the bucket means; the exact one lies between
 * the same count-weighted percentile of the bucket minimums (lo) and of the
 * bucket maximums (hi): replacing every sample by its bucket's minimum (or
 * maximum) can only lower (raise) each order statistic. Percentiles use the
 * method of pb_summary.h (numpy "linear") over the multiset in which each
 * bucket's value stands count times. */

#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pb_bucket pb_bucket_t;

/* A table of ncols columns and rows of width_s seconds; NULL on ENOMEM or a
 * zero width. */
pb_bucket_t *pb_bucket_new(size_t ncols, uint64_t width_s);
void pb_bucket_destroy(pb_bucket_t **self_p);

/* Room for rows rows without growing (a window's span / width): a month's
 * tables would otherwise be copied as they double. 0 or -ENOMEM. */
int pb_bucket_reserve(pb_bucket_t *self, size_t rows);

/* The row of the bucket holding ts_ns (made, in time order, when new): 0
 * with *row set, or -ENOMEM. Rows shift when an earlier bucket is made, so
 * use *row before the next call only. */
int pb_bucket_row(pb_bucket_t *self, uint64_t ts_ns, size_t *row);

/* One sample into (row, col); non-finite values are left out. Can't fail. */
void pb_bucket_add(pb_bucket_t *self, size_t row, size_t col, double value);

/* A whole bucket of count samples into (row, col) (a rollup's min, max,
 * sum). count 0 is left out. Can't fail. */
void pb_bucket_merge(pb_bucket_t *self, size_t row, size_t col, double min, double max, double sum,
                     uint64_t count);

/* Rows, and their start times (ns, ascending), borrowed until the next pb_bucket_row. */
size_t pb_bucket_rows(const pb_bucket_t *self);
const uint64_t *pb_bucket_ts(const pb_bucket_t *self);
uint64_t pb_bucket_width_s(const pb_bucket_t *self);

/* A column, borrowed like pb_bucket_ts: mean is NaN (and min, max NaN) where count is 0. */
typedef struct {
    const double *mean, *min, *max, *sum;
    const uint64_t *count;
} pb_bucket_col_t;
pb_bucket_col_t pb_bucket_col(const pb_bucket_t *self, size_t col);

/* Samples of a row: the largest count of its columns (a frame gives each
 * column at most one value). 0 past the end. */
uint64_t pb_bucket_samples(const pb_bucket_t *self, size_t row);

/* Summary of n buckets: count, min, max, mean exact; p[] the estimates of
 * p50, p95, p99, with the exact ones within [lo[i], hi[i]]. */
typedef struct {
    uint64_t count;
    double min, max, mean;
    double p[3], lo[3], hi[3];
} pb_bucket_summary_t;

/* Summarises buckets given as parallel arrays (as pb_bucket_col gives, or a
 * model's series). Returns 0, -ENODATA when no bucket holds a sample, or
 * -ENOMEM. */
int pb_bucket_summarise(const double *mean, const double *min, const double *max, const double *sum,
                        const uint64_t *count, size_t n, pb_bucket_summary_t *out);

/* Only the percentiles of pb_bucket_summarise (p, lo, hi of out), from n
 * buckets that may be finer than those of the exact figures (the 1 min
 * buckets of a report drawn from 1 h ones). Past 8192 buckets they come from
 * a histogram of 16384 bins over the values' range rather than a sort: an
 * estimate moves by at most range / 16384, a bracket outwards by at most as
 * much (still a bound). 0 or -ENOMEM. */
int pb_bucket_percentiles(const double *mean, const double *min, const double *max,
                          const uint64_t *count, size_t n, pb_bucket_summary_t *out);

/* The count-weighted percentile p (0..100) of n values (each standing
 * counts[i] times), values sorted ascending; NaN when the counts sum to 0.
 * Can't fail. */
double pb_bucket_percentile(const double *sorted, const uint64_t *counts, size_t n, double p);

/* The summary as a map {count, min, max, mean, p50, p50_lo, p50_hi, p95...,
 * p99_hi, bucket_s} (the JSON export's, for a bucketed series). A new tree
 * the caller owns, NULL on ENOMEM. */
pb_value_t *pb_bucket_summary_to_value(const pb_bucket_summary_t *self, uint64_t width_s);

#endif
