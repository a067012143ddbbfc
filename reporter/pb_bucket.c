/* pb_bucket: a table of time buckets (rows) by columns, and count-weighted summaries.
 *
 * Rows are kept sorted by start time. Records arrive in time order within a
 * run, so the row sought is nearly always the last one or a new one after it;
 * the backward search and the insertion (memmove) are for the runs of a store
 * that overlap. Each column keeps sum, count, min, max and the mean (sum /
 * count, kept up to date so renderers can borrow it as a plain series). */
#include "pb_bucket.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double *mean, *min, *max, *sum;
    uint64_t *count;
} s_col_t;

struct pb_bucket {
    size_t ncols, n, cap;
    uint64_t width_s;
    uint64_t *ts;
    s_col_t *cols;
};

pb_bucket_t *pb_bucket_new(size_t ncols, uint64_t width_s)
{
    if (width_s == 0)
        return NULL;
    pb_bucket_t *self = calloc(1, sizeof *self);
    if (self && !(self->cols = calloc(ncols ? ncols : 1, sizeof *self->cols))) {
        free(self);
        return NULL;
    }
    if (self) {
        self->ncols = ncols;
        self->width_s = width_s;
    }
    return self;
}

static void s_col_free(s_col_t *c)
{
    free(c->mean);
    free(c->min);
    free(c->max);
    free(c->sum);
    free(c->count);
}

void pb_bucket_destroy(pb_bucket_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_bucket_t *self = *self_p;
    for (size_t c = 0; c < self->ncols; c++)
        s_col_free(&self->cols[c]);
    free(self->cols);
    free(self->ts);
    free(self);
    *self_p = NULL;
}

/* Every array of the table to cap entries (realloc keeps what is there). */
static int s_grow(pb_bucket_t *self)
{
    size_t cap = self->cap ? self->cap * 2 : 64, d = sizeof(double);
    void *p = realloc(self->ts, cap * sizeof(uint64_t));
    if (!p)
        return -ENOMEM;
    self->ts = p;
    for (size_t c = 0; c < self->ncols; c++) {
        s_col_t *col = &self->cols[c];
        double **arrays[] = {&col->mean, &col->min, &col->max, &col->sum};
        for (size_t a = 0; a < 4; a++) {
            if (!(p = realloc(*arrays[a], cap * d)))
                return -ENOMEM;
            *arrays[a] = p;
        }
        if (!(p = realloc(col->count, cap * sizeof(uint64_t))))
            return -ENOMEM;
        col->count = p;
    }
    self->cap = cap;
    return 0;
}

/* Opens a gap at row i (moving the later rows up) and fills it as an empty bucket. */
static void s_insert(pb_bucket_t *self, size_t i, uint64_t start_ns)
{
    size_t tail = self->n - i, d = sizeof(double);
    memmove(&self->ts[i + 1], &self->ts[i], tail * sizeof(uint64_t));
    self->ts[i] = start_ns;
    for (size_t c = 0; c < self->ncols; c++) {
        s_col_t *col = &self->cols[c];
        double *arrays[] = {col->mean, col->min, col->max, col->sum};
        for (size_t a = 0; a < 4; a++) {
            memmove(&arrays[a][i + 1], &arrays[a][i], tail * d);
            arrays[a][i] = a == 3 ? 0 : NAN;
        }
        memmove(&col->count[i + 1], &col->count[i], tail * sizeof(uint64_t));
        col->count[i] = 0;
    }
    self->n++;
}

int pb_bucket_row(pb_bucket_t *self, uint64_t ts_ns, size_t *row)
{
    uint64_t secs = ts_ns / 1000000000u;
    uint64_t start = (secs - secs % self->width_s) * 1000000000u;
    size_t i = self->n;
    while (i > 0 && self->ts[i - 1] > start)
        i--;
    if (i > 0 && self->ts[i - 1] == start) {
        *row = i - 1;
        return 0;
    }
    if (self->n == self->cap && s_grow(self) < 0)
        return -ENOMEM;
    s_insert(self, i, start);
    *row = i;
    return 0;
}

void pb_bucket_merge(pb_bucket_t *self, size_t row, size_t col, double min, double max, double sum,
                     uint64_t count)
{
    if (row >= self->n || col >= self->ncols || count == 0)
        return;
    s_col_t *c = &self->cols[col];
    if (c->count[row] == 0 || min < c->min[row])
        c->min[row] = min;
    if (c->count[row] == 0 || max > c->max[row])
        c->max[row] = max;
    c->sum[row] += sum;
    c->count[row] += count;
    c->mean[row] = c->sum[row] / (double)c->count[row];
}

void pb_bucket_add(pb_bucket_t *self, size_t row, size_t col, double value)
{
    if (isfinite(value))
        pb_bucket_merge(self, row, col, value, value, value, 1);
}

size_t pb_bucket_rows(const pb_bucket_t *self)
{
    return self->n;
}

const uint64_t *pb_bucket_ts(const pb_bucket_t *self)
{
    return self->ts;
}

uint64_t pb_bucket_width_s(const pb_bucket_t *self)
{
    return self->width_s;
}

pb_bucket_col_t pb_bucket_col(const pb_bucket_t *self, size_t col)
{
    pb_bucket_col_t out = {NULL, NULL, NULL, NULL, NULL};
    if (col < self->ncols) {
        const s_col_t *c = &self->cols[col];
        out = (pb_bucket_col_t){c->mean, c->min, c->max, c->sum, c->count};
    }
    return out;
}

uint64_t pb_bucket_samples(const pb_bucket_t *self, size_t row)
{
    uint64_t most = 0;
    for (size_t c = 0; row < self->n && c < self->ncols; c++)
        most = self->cols[c].count[row] > most ? self->cols[c].count[row] : most;
    return most;
}

/* ---- summaries ---- */

typedef struct {
    double v;
    uint64_t n;
} s_pair_t;

static int s_cmp_pair(const void *a, const void *b)
{
    double x = ((const s_pair_t *)a)->v, y = ((const s_pair_t *)b)->v;
    return (x > y) - (x < y);
}

/* The value at 0-based position k of the multiset (pairs sorted, k < total). */
static double s_at(const double *sorted, const uint64_t *counts, size_t n, uint64_t k)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += counts[i];
        if (k < seen)
            return sorted[i];
    }
    return n ? sorted[n - 1] : NAN;
}

double pb_bucket_percentile(const double *sorted, const uint64_t *counts, size_t n, double p)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += counts[i];
    if (total == 0)
        return NAN;
    double rank = p / 100.0 * (double)(total - 1);
    if (rank <= 0)
        return s_at(sorted, counts, n, 0);
    if (rank >= (double)(total - 1))
        return s_at(sorted, counts, n, total - 1);
    uint64_t lo = (uint64_t)floor(rank);
    double a = s_at(sorted, counts, n, lo), b = s_at(sorted, counts, n, lo + 1);
    return a + (b - a) * (rank - (double)lo);
}

/* The three percentiles of the (value, count) pairs, sorted here; out[3]. */
static void s_percentiles(s_pair_t *pairs, double *values, uint64_t *counts, size_t n, double *out)
{
    static const double ps[3] = {50, 95, 99};
    qsort(pairs, n, sizeof *pairs, s_cmp_pair);
    for (size_t i = 0; i < n; i++) {
        values[i] = pairs[i].v;
        counts[i] = pairs[i].n;
    }
    for (size_t i = 0; i < 3; i++)
        out[i] = pb_bucket_percentile(values, counts, n, ps[i]);
}

/* Pairs of (src[i], count[i]) for the buckets that hold samples; how many. */
static size_t s_pairs(const double *src, const uint64_t *count, size_t n, s_pair_t *pairs)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (count[i] > 0)
            pairs[k++] = (s_pair_t){src[i], count[i]};
    return k;
}

static void s_exact(const double *min, const double *max, const double *sum, const uint64_t *count,
                    size_t n, pb_bucket_summary_t *out)
{
    double total = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (count[i] == 0)
            continue;
        if (out->count == 0 || min[i] < out->min)
            out->min = min[i];
        if (out->count == 0 || max[i] > out->max)
            out->max = max[i];
        total += sum[i];
        out->count += count[i];
    }
    out->mean = out->count ? total / (double)out->count : NAN;
}

int pb_bucket_summarise(const double *mean, const double *min, const double *max, const double *sum,
                        const uint64_t *count, size_t n, pb_bucket_summary_t *out)
{
    s_exact(min, max, sum, count, n, out);
    if (out->count == 0)
        return -ENODATA;
    s_pair_t *pairs = malloc(n * sizeof *pairs);
    double *values = malloc(n * sizeof *values);
    uint64_t *counts = malloc(n * sizeof *counts);
    int rc = pairs && values && counts ? 0 : -ENOMEM;
    const double *srcs[3] = {mean, min, max};
    double *dsts[3] = {out->p, out->lo, out->hi};
    for (size_t s = 0; s < 3 && rc == 0; s++) {
        size_t k = s_pairs(srcs[s], count, n, pairs);
        s_percentiles(pairs, values, counts, k, dsts[s]);
    }
    free(pairs);
    free(values);
    free(counts);
    return rc;
}

pb_value_t *pb_bucket_summary_to_value(const pb_bucket_summary_t *self, uint64_t width_s)
{
    static const char *const names[3][3] = {
        {"p50", "p50_lo", "p50_hi"}, {"p95", "p95_lo", "p95_hi"}, {"p99", "p99_lo", "p99_hi"}};
    pb_value_t *map = pb_value_map_new();
    int rc = map ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(map, "count", self->count);
    rc = rc ? rc : pb_value_map_put_float(map, "min", self->min);
    rc = rc ? rc : pb_value_map_put_float(map, "max", self->max);
    rc = rc ? rc : pb_value_map_put_float(map, "mean", self->mean);
    for (size_t i = 0; i < 3; i++) {
        rc = rc ? rc : pb_value_map_put_float(map, names[i][0], self->p[i]);
        rc = rc ? rc : pb_value_map_put_float(map, names[i][1], self->lo[i]);
        rc = rc ? rc : pb_value_map_put_float(map, names[i][2], self->hi[i]);
    }
    rc = rc ? rc : pb_value_map_put_uint(map, "bucket_s", width_s);
    if (rc < 0)
        pb_value_destroy(&map);
    return map;
}
