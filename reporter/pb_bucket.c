/* pb_bucket: a table of time buckets (rows) by columns, and count-weighted summaries.
 *
 * Rows are kept sorted by start time. Records arrive in time order within a
 * run, and rollups series by series, so the row sought is nearly always the
 * one found last or the next (the hint); else a bisection finds it, and the
 * insertion (memmove) is for the runs of a store that overlap. Each column keeps sum, count, min,
 * max and the mean (sum / count, kept up to date so renderers can borrow it as a plain series).
 *
 * A column's rows are made empty (NaN, 0) lazily, up to the row written or read: a month of
 * minutes is 43200 rows of 33 columns, most of them never written, and making every column's
 * row empty as each row is appended cost more than the merging itself. */
#include "pb_bucket.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    double *mean, *min, *max, *sum;
    uint64_t *count;
    size_t valid; /* rows [0, valid) are set; the rest of the first n are empty */
} s_col_t;

struct pb_bucket {
    size_t ncols, n, cap;
    size_t hint; /* the row pb_bucket_row gave last: the next is nearly always it or after it */
    uint64_t width_s;
    uint64_t *ts;
    s_col_t *cols;
    void *slab; /* every array above, cap entries each (s_resize) */
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

void pb_bucket_destroy(pb_bucket_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_bucket_t *self = *self_p;
    free(self->cols);
    free(self->slab);
    free(self);
    *self_p = NULL;
}

#define S_HUGE (2u << 20) /* a transparent huge page */

/* A block of n bytes; a large one on huge pages where the kernel allows: a month of minutes
 * is 35 MB of columns, and faulting it in 4 KiB at a time cost a sixth of the report. */
static void *s_slab(size_t n)
{
    if (n < S_HUGE)
        return malloc(n);
    void *p = aligned_alloc(S_HUGE, (n + S_HUGE - 1) / S_HUGE * S_HUGE);
    if (p)
        madvise(p, n, MADV_HUGEPAGE); /* advice: a refusal changes nothing */
    return p;
}

/* Points *array at the next cap entries of the block at *at, copying the first keep of the
 * old ones there. */
static void s_carve(unsigned char **at, void **array, size_t keep, size_t cap)
{
    if (*array && keep)
        memcpy(*at, *array, keep * 8);
    *array = *at;
    *at += cap * 8;
}

/* Every array of the table (all of 8-byte entries) to cap entries, in one new block,
 * keeping the rows there. */
static int s_resize(pb_bucket_t *self, size_t cap)
{
    unsigned char *slab = s_slab(cap * 8 * (1 + 5 * self->ncols)), *at = slab;
    if (!slab)
        return -ENOMEM;
    s_carve(&at, (void **)&self->ts, self->n, cap);
    for (size_t c = 0; c < self->ncols; c++) {
        s_col_t *col = &self->cols[c];
        void **arrays[] = {(void **)&col->mean, (void **)&col->min, (void **)&col->max,
                           (void **)&col->sum, (void **)&col->count};
        for (size_t a = 0; a < 5; a++)
            s_carve(&at, arrays[a], col->valid, cap);
    }
    free(self->slab);
    self->slab = slab;
    self->cap = cap;
    return 0;
}

static int s_grow(pb_bucket_t *self)
{
    return s_resize(self, self->cap ? self->cap * 2 : 64);
}

int pb_bucket_reserve(pb_bucket_t *self, size_t rows)
{
    return rows > self->cap ? s_resize(self, rows) : 0;
}

/* Sets the column's rows [valid, upto) empty. */
static void s_fill(s_col_t *col, size_t upto)
{
    for (size_t r = col->valid; r < upto; r++) {
        col->mean[r] = col->min[r] = col->max[r] = NAN;
        col->sum[r] = 0;
        col->count[r] = 0;
    }
    if (upto > col->valid)
        col->valid = upto;
}

/* Makes row i for start_ns: appended (its columns empty lazily), or in a gap opened by
 * moving the later rows up (every column set first, so that they move whole). */
static void s_insert(pb_bucket_t *self, size_t i, uint64_t start_ns)
{
    size_t tail = self->n - i, d = sizeof(double);
    if (tail)
        memmove(&self->ts[i + 1], &self->ts[i], tail * sizeof(uint64_t));
    self->ts[i] = start_ns;
    for (size_t c = 0; tail && c < self->ncols; c++) {
        s_col_t *col = &self->cols[c];
        s_fill(col, self->n);
        double *arrays[] = {col->mean, col->min, col->max, col->sum};
        for (size_t a = 0; a < 4; a++) {
            memmove(&arrays[a][i + 1], &arrays[a][i], tail * d);
            arrays[a][i] = a == 3 ? 0 : NAN;
        }
        memmove(&col->count[i + 1], &col->count[i], tail * sizeof(uint64_t));
        col->count[i] = 0;
        col->valid = self->n + 1;
    }
    self->n++;
}

/* The row starting at start from the hint (it, or the one after it), else n. */
static size_t s_hinted(const pb_bucket_t *self, uint64_t start)
{
    for (size_t i = self->hint; i < self->n && i < self->hint + 2; i++)
        if (self->ts[i] == start)
            return i;
    return self->n;
}

int pb_bucket_row(pb_bucket_t *self, uint64_t ts_ns, size_t *row)
{
    uint64_t secs = ts_ns / 1000000000u;
    uint64_t start = (secs - secs % self->width_s) * 1000000000u;
    size_t i = s_hinted(self, start);
    if (i < self->n) {
        *row = self->hint = i;
        return 0;
    }
    size_t lo = 0;
    i = self->n; /* the first row starting after start, by bisection */
    while (lo < i) {
        size_t mid = lo + (i - lo) / 2;
        if (self->ts[mid] > start)
            i = mid;
        else
            lo = mid + 1;
    }
    if (i > 0 && self->ts[i - 1] == start) {
        *row = self->hint = i - 1;
        return 0;
    }
    if (self->n == self->cap && s_grow(self) < 0)
        return -ENOMEM;
    s_insert(self, i, start);
    *row = self->hint = i;
    return 0;
}

void pb_bucket_merge(pb_bucket_t *self, size_t row, size_t col, double min, double max, double sum,
                     uint64_t count)
{
    if (row >= self->n || col >= self->ncols || count == 0)
        return;
    s_col_t *c = &self->cols[col];
    s_fill(c, row + 1);
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
        s_col_t *c = &self->cols[col];
        s_fill(c, self->n); /* the rows not set yet are empty: the table reads the same */
        out = (pb_bucket_col_t){c->mean, c->min, c->max, c->sum, c->count};
    }
    return out;
}

uint64_t pb_bucket_samples(const pb_bucket_t *self, size_t row)
{
    uint64_t most = 0;
    for (size_t c = 0; row < self->n && c < self->ncols; c++)
        if (row < self->cols[c].valid && self->cols[c].count[row] > most)
            most = self->cols[c].count[row];
    return most;
}

/* ---- summaries ---- */

/* Up to S_SORT_MAX buckets (a day of minutes, a month of hours) percentiles come from
 * a sort; more (a month of minutes: 43200) from a histogram of S_BINS bins over the
 * values' range, which costs one pass and moves an estimate by at most a bin
 * (range / S_BINS) and a bracket outwards by at most a bin: they stay bounds. */
#define S_SORT_MAX 8192
#define S_BINS     16384

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

static const double s_ps[3] = {50, 95, 99};

/* The three percentiles of the (value, count) pairs, sorted here; out[3]. */
static void s_percentiles(s_pair_t *pairs, double *values, uint64_t *counts, size_t n, double *out)
{
    qsort(pairs, n, sizeof *pairs, s_cmp_pair);
    for (size_t i = 0; i < n; i++) {
        values[i] = pairs[i].v;
        counts[i] = pairs[i].n;
    }
    for (size_t i = 0; i < 3; i++)
        out[i] = pb_bucket_percentile(values, counts, n, s_ps[i]);
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

static int s_sorted(const double *mean, const double *min, const double *max, const uint64_t *count,
                    size_t n, pb_bucket_summary_t *out)
{
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

/* ---- many buckets: a histogram of S_BINS bins instead of a sort ---- */

typedef struct {
    double lo, width, range;
    uint64_t hist[S_BINS], total;
} s_hist_t;

static void s_hist_fill(s_hist_t *h, const double *v, const uint64_t *count, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (count[i]) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    memset(h->hist, 0, sizeof h->hist);
    h->total = 0;
    h->lo = lo;
    h->range = hi > lo ? hi - lo : 0;
    h->width = h->range / S_BINS;
    for (size_t i = 0; i < n; i++) {
        if (!count[i])
            continue;
        size_t b = h->range > 0 ? (size_t)((v[i] - lo) / h->range * S_BINS) : 0;
        h->hist[b < S_BINS ? b : S_BINS - 1] += count[i];
        h->total += count[i];
    }
}

/* The bin holding position k (0-based) of the multiset, and the positions before it. */
static size_t s_hist_bin(const s_hist_t *h, uint64_t k, uint64_t *before)
{
    uint64_t seen = 0;
    size_t b = 0;
    while (b + 1 < S_BINS && seen + h->hist[b] <= k)
        seen += h->hist[b++];
    *before = seen;
    return b;
}

/* Position k's value, spread evenly over its bin; edge -1 / +1: the bin's low / high edge
 * widened by a hair (rounding), so that it bounds every value placed in the bin. */
static double s_hist_value(const s_hist_t *h, uint64_t k, int edge)
{
    uint64_t before;
    size_t b = s_hist_bin(h, k, &before);
    double lo = h->lo + (double)b * h->width, slack = h->range * 1e-12;
    if (edge < 0)
        return b == 0 ? h->lo : lo - slack;
    if (edge > 0)
        return b + 1 == S_BINS ? h->lo + h->range : lo + h->width + slack;
    return lo + h->width * ((double)(k - before) + 0.5) / (double)h->hist[b];
}

/* Percentile p: estimate (edge 0), or a bound below (-1) or above (+1) it. */
static double s_hist_percentile(const s_hist_t *h, double p, int edge)
{
    double rank = p / 100.0 * (double)(h->total - 1);
    uint64_t k = (uint64_t)floor(rank), last = h->total - 1;
    uint64_t k1 = k < last ? k + 1 : last;
    if (edge)
        return s_hist_value(h, edge < 0 ? k : k1, edge);
    double a = s_hist_value(h, k, 0), b = s_hist_value(h, k1, 0);
    return a + (b - a) * (rank - (double)k);
}

static int s_binned(const double *mean, const double *min, const double *max, const uint64_t *count,
                    size_t n, pb_bucket_summary_t *out)
{
    s_hist_t *h = malloc(sizeof *h);
    if (!h)
        return -ENOMEM;
    const double *srcs[3] = {mean, min, max};
    double *dsts[3] = {out->p, out->lo, out->hi};
    for (int s = 0; s < 3; s++) {
        s_hist_fill(h, srcs[s], count, n);
        int edge = s == 0 ? 0 : s == 1 ? -1 : 1;
        for (size_t i = 0; i < 3; i++)
            dsts[s][i] = h->total ? s_hist_percentile(h, s_ps[i], edge) : NAN;
    }
    free(h);
    return 0;
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

int pb_bucket_percentiles(const double *mean, const double *min, const double *max,
                          const uint64_t *count, size_t n, pb_bucket_summary_t *out)
{
    int rc = n > S_SORT_MAX ? s_binned(mean, min, max, count, n, out)
                            : s_sorted(mean, min, max, count, n, out);
    for (size_t i = 0; i < 3 && rc == 0; i++)
        out->p[i] = out->p[i] < out->lo[i]   ? out->lo[i]
                    : out->p[i] > out->hi[i] ? out->hi[i]
                                             : out->p[i];
    return rc;
}

int pb_bucket_summarise(const double *mean, const double *min, const double *max, const double *sum,
                        const uint64_t *count, size_t n, pb_bucket_summary_t *out)
{
    s_exact(min, max, sum, count, n, out);
    if (out->count == 0)
        return -ENODATA;
    return pb_bucket_percentiles(mean, min, max, count, n, out);
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
