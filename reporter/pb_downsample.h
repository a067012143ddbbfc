/* pb_downsample: peak-preserving reduction of long series for drawing. */
#ifndef PB_DOWNSAMPLE_H
#define PB_DOWNSAMPLE_H

#include <stddef.h>

/* Min/max per bucket: the n samples are cut into `buckets` runs of equal
 * index width; from each run the indices of its smallest and largest finite
 * y are kept, in index order, so a one-sample spike anywhere in the series
 * survives. The first and last finite samples are always kept. NaN samples
 * (missing values) are skipped. When the series has no more than 2 * buckets
 * finite samples, all of them are kept.
 *
 * Writes the chosen indices, ascending and without duplicates, into idx,
 * which must hold 2 * buckets + 2 entries (or n, if smaller). Returns how
 * many were written (0 for an empty or all-NaN series, or buckets == 0). */
size_t pb_downsample_minmax(const double *y, size_t n, size_t buckets, size_t *idx);

/* Upper bound of pb_downsample_minmax's output for n samples and `buckets`. */
size_t pb_downsample_capacity(size_t n, size_t buckets);

#endif
