/* pb_downsample: min/max per bucket, the reduction that cannot lose a spike. */
#include "pb_downsample.h"

#include <math.h>

size_t pb_downsample_capacity(size_t n, size_t buckets)
{
    size_t cap = 2 * buckets + 2;
    return n < cap ? n : cap;
}

/* Appends i unless it repeats the last index written. */
static size_t s_emit(size_t *idx, size_t count, size_t i)
{
    if (count > 0 && idx[count - 1] == i)
        return count;
    idx[count] = i;
    return count + 1;
}

static size_t s_keep_finite(const double *y, size_t n, size_t *idx)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]))
            idx[count++] = i;
    return count;
}

static size_t s_count_finite(const double *y, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += isfinite(y[i]) ? 1 : 0;
    return count;
}

/* Emits the min and max of y[lo, hi) in index order; nothing if all NaN. */
static size_t s_bucket(const double *y, size_t lo, size_t hi, size_t *idx, size_t count)
{
    size_t imin = hi, imax = hi;
    for (size_t i = lo; i < hi; i++) {
        if (!isfinite(y[i]))
            continue;
        if (imin == hi || y[i] < y[imin])
            imin = i;
        if (imax == hi || y[i] > y[imax])
            imax = i;
    }
    if (imin == hi)
        return count;
    count = s_emit(idx, count, imin < imax ? imin : imax);
    return s_emit(idx, count, imin < imax ? imax : imin);
}

static size_t s_first_finite(const double *y, size_t n)
{
    size_t i = 0;
    while (i < n && !isfinite(y[i]))
        i++;
    return i;
}

static size_t s_last_finite(const double *y, size_t n)
{
    size_t i = n;
    while (i > 0 && !isfinite(y[i - 1]))
        i--;
    return i - 1;
}

size_t pb_downsample_minmax(const double *y, size_t n, size_t buckets, size_t *idx)
{
    if (n == 0 || buckets == 0)
        return 0;
    size_t finite = s_count_finite(y, n);
    if (finite <= 2 * buckets)
        return s_keep_finite(y, n, idx);
    size_t first = s_first_finite(y, n), last = s_last_finite(y, n);
    size_t count = s_emit(idx, 0, first);
    for (size_t b = 0; b < buckets; b++) {
        size_t lo = (size_t)((double)n * (double)b / (double)buckets);
        size_t hi = (size_t)((double)n * (double)(b + 1) / (double)buckets);
        if (hi > n)
            hi = n;
        count = s_bucket(y, lo, hi, idx, count);
    }
    return s_emit(idx, count, last);
}
