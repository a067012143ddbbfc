/* pb_table: the report's tables as formatted text, so every renderer shows the same numbers. */
#ifndef PB_TABLE_H
#define PB_TABLE_H

#include "pb_bucket.h"
#include "pb_model.h"
#include "pb_summary.h"

#include <stddef.h>

#define PB_TABLE_MAX_COLS 8
#define PB_TABLE_CELL     64

typedef struct {
    size_t ncols;
    char cell[PB_TABLE_MAX_COLS][PB_TABLE_CELL]; /* UTF-8 */
} pb_table_row_t;

/* Header rows (column names with units where they are fixed). */
const pb_table_row_t *pb_table_cover_header(void);
const pb_table_row_t *pb_table_summary_header(void);
const pb_table_row_t *pb_table_proc_header(void);

/* Cover facts as two-column rows (name, value): source, hosts, period,
 * duration, version, interval, frames, lost frames. Writes at most max rows
 * and returns how many. */
size_t pb_table_cover(const pb_model_t *model, const char *source, pb_table_row_t *rows,
                      size_t max);

/* The summary of a series: pb_summary_compute of every sample, or for a
 * bucketed one (pb_series_t.count set) pb_bucket_summarise: count, min, max
 * and mean exact, p50/p95/p99 estimated (pb_bucket.h), stddev NaN (buckets
 * keep no sum of squares). 0, -ENODATA (no value) or -ENOMEM. */
int pb_table_stats(pb_series_t series, pb_summary_t *out);

/* The summary of a bucketed series with the brackets of its percentiles,
 * from its percentile buckets when it has them (pb_series_t.fine_count).
 * 0, -ENODATA or -ENOMEM. */
int pb_table_bucket_stats(pb_series_t series, pb_bucket_summary_t *out);

/* Summary row of metric (index into the metric table) for a host, with the
 * subscriber's pb_summary: name, count, min, max, mean, p50, p95, p99.
 * Returns 0, -ENODATA (no value in the series) or -ENOMEM. */
int pb_table_summary(const pb_model_t *model, size_t host, size_t metric, pb_table_row_t *row);

/* Row of the rank-th process by CPU: pid, command, mean and peak CPU, peak
 * RSS, samples. Returns 0 or -ENOENT past the last process. */
int pb_table_proc(const pb_model_t *model, size_t host, size_t rank, pb_table_row_t *row);

#endif
