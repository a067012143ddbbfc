/* pb_summary: count/min/max/mean/stddev/percentiles of numeric series. */
#include "pb_summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double pb_summary_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double rank = p / 100.0 * (double)(n - 1);
    if (rank <= 0)
        return sorted[0];
    if (rank >= (double)(n - 1))
        return sorted[n - 1];
    size_t lo = (size_t)floor(rank);
    double frac = rank - (double)lo;
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

/* Copies the samples that count into sorted[] and fills count and timestamps. */
static size_t s_select(const uint64_t *ts, const double *values, size_t n, uint64_t from_ns,
                       uint64_t to_ns, double *sorted, pb_summary_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(values[i]) || ts[i] < from_ns || ts[i] > to_ns)
            continue;
        if (k == 0 || ts[i] < out->first_ts)
            out->first_ts = ts[i];
        if (k == 0 || ts[i] > out->last_ts)
            out->last_ts = ts[i];
        sorted[k++] = values[i];
    }
    out->count = k;
    return k;
}

int pb_summary_compute(const uint64_t *ts, const double *values, size_t n, uint64_t from_ns,
                       uint64_t to_ns, pb_summary_t *out)
{
    memset(out, 0, sizeof *out);
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return -ENOMEM;
    size_t k = s_select(ts, values, n, from_ns, to_ns, s, out);
    if (k == 0) {
        free(s);
        return -ENODATA;
    }
    qsort(s, k, sizeof *s, s_cmp_double);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < k; i++)
        sum += s[i];
    out->mean = sum / (double)k;
    for (size_t i = 0; i < k; i++)
        sq += (s[i] - out->mean) * (s[i] - out->mean);
    out->stddev = sqrt(sq / (double)k);
    out->min = s[0];
    out->max = s[k - 1];
    out->p50 = pb_summary_percentile(s, k, 50);
    out->p95 = pb_summary_percentile(s, k, 95);
    out->p99 = pb_summary_percentile(s, k, 99);
    free(s);
    return 0;
}

pb_value_t *pb_summary_to_value(const pb_summary_t *self)
{
    pb_value_t *map = pb_value_map_new();
    int rc = map ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(map, "count", self->count);
    rc = rc ? rc : pb_value_map_put_float(map, "min", self->min);
    rc = rc ? rc : pb_value_map_put_float(map, "max", self->max);
    rc = rc ? rc : pb_value_map_put_float(map, "mean", self->mean);
    rc = rc ? rc : pb_value_map_put_float(map, "stddev", self->stddev);
    rc = rc ? rc : pb_value_map_put_float(map, "p50", self->p50);
    rc = rc ? rc : pb_value_map_put_float(map, "p95", self->p95);
    rc = rc ? rc : pb_value_map_put_float(map, "p99", self->p99);
    rc = rc ? rc : pb_value_map_put_uint(map, "first_ts", self->first_ts);
    rc = rc ? rc : pb_value_map_put_uint(map, "last_ts", self->last_ts);
    if (rc < 0)
        pb_value_destroy(&map);
    return map;
}
