/* pb_summary: count/min/max/mean/stddev/percentiles of numeric series, and series sets. */
#include "pb_summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *field;
    uint64_t *ts;
    double *values;
    size_t len, cap;
} s_series_t;

struct pb_summary_set {
    s_series_t *series;
    size_t len, cap;
    size_t hint; /* frames repeat their field order: try the next series first */
};

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

/* ---- numeric leaves ---- */

static int s_skipped_top_key(const char *key)
{
    static const char *skip[] = {"v", "seq", "ts", "pid", "ppid", "uid", NULL};
    for (int i = 0; skip[i]; i++)
        if (strcmp(key, skip[i]) == 0)
            return 1;
    return 0;
}

static int s_walk(const pb_value_t *map, char *path, size_t plen, size_t cap,
                  pb_summary_leaf_fn *fn, void *arg)
{
    for (size_t i = 0; i < pb_value_len(map); i++) {
        const char *key = pb_value_map_key_at(map, i);
        const pb_value_t *v = pb_value_map_value_at(map, i);
        pb_type_t type = pb_value_type(v);
        size_t klen = strlen(key);
        if ((plen == 0 && s_skipped_top_key(key)) || plen + klen + 2 > cap)
            continue;
        size_t n = plen;
        if (n > 0)
            path[n++] = '.';
        memcpy(path + n, key, klen + 1);
        double d = 0;
        int rc = 0;
        if (type == PB_MAP)
            rc = s_walk(v, path, n + klen, cap, fn, arg);
        else if ((type == PB_INT || type == PB_UINT || type == PB_FLOAT) &&
                 pb_value_get_f64(v, &d) == 0)
            rc = fn(path, d, arg);
        path[plen] = '\0';
        if (rc != 0)
            return rc;
    }
    return 0;
}

int pb_summary_leaves(const pb_value_t *frame, pb_summary_leaf_fn *fn, void *arg)
{
    if (pb_value_type(frame) != PB_MAP)
        return -EINVAL;
    char path[256] = "";
    return s_walk(frame, path, 0, sizeof path, fn, arg);
}

/* ---- sets ---- */

pb_summary_set_t *pb_summary_set_new(void)
{
    return calloc(1, sizeof(pb_summary_set_t));
}

void pb_summary_set_destroy(pb_summary_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_summary_set_t *self = *self_p;
    for (size_t i = 0; i < self->len; i++) {
        free(self->series[i].field);
        free(self->series[i].ts);
        free(self->series[i].values);
    }
    free(self->series);
    free(self);
    *self_p = NULL;
}

static s_series_t *s_find(const pb_summary_set_t *self, const char *field)
{
    for (size_t i = 0; i < self->len; i++)
        if (strcmp(self->series[i].field, field) == 0)
            return &self->series[i];
    return NULL;
}

static s_series_t *s_create(pb_summary_set_t *self, const char *field)
{
    if (self->len == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 32;
        s_series_t *series = realloc(self->series, cap * sizeof *series);
        if (!series)
            return NULL;
        self->series = series;
        self->cap = cap;
    }
    s_series_t *s = &self->series[self->len];
    memset(s, 0, sizeof *s);
    if (!(s->field = strdup(field)))
        return NULL;
    self->len++;
    return s;
}

static int s_series_push(s_series_t *s, uint64_t ts, double value)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *t = realloc(s->ts, cap * sizeof *t);
        if (t)
            s->ts = t;
        double *v = t ? realloc(s->values, cap * sizeof *v) : NULL;
        if (!v)
            return -ENOMEM;
        s->values = v;
        s->cap = cap;
    }
    s->ts[s->len] = ts;
    s->values[s->len++] = value;
    return 0;
}

int pb_summary_set_add(pb_summary_set_t *self, const char *field, uint64_t ts, double value)
{
    s_series_t *s = NULL;
    if (self->hint < self->len && strcmp(self->series[self->hint].field, field) == 0)
        s = &self->series[self->hint];
    if (!s)
        s = s_find(self, field);
    if (!s && !(s = s_create(self, field)))
        return -ENOMEM;
    self->hint = (size_t)(s - self->series) + 1;
    return s_series_push(s, ts, value);
}

typedef struct {
    pb_summary_set_t *set;
    uint64_t ts;
} s_add_ctx_t;

static int s_add_leaf(const char *path, double value, void *arg)
{
    s_add_ctx_t *ctx = arg;
    return pb_summary_set_add(ctx->set, path, ctx->ts, value);
}

int pb_summary_set_add_frame(pb_summary_set_t *self, const pb_value_t *frame, uint64_t ts)
{
    s_add_ctx_t ctx = {self, ts};
    return pb_summary_leaves(frame, s_add_leaf, &ctx);
}

size_t pb_summary_set_size(const pb_summary_set_t *self)
{
    return self->len;
}

const char *pb_summary_set_field_at(const pb_summary_set_t *self, size_t i)
{
    return i < self->len ? self->series[i].field : NULL;
}

int pb_summary_set_series(const pb_summary_set_t *self, const char *field, const uint64_t **ts_p,
                          const double **values_p, size_t *n_p)
{
    const s_series_t *s = s_find(self, field);
    if (!s)
        return -ENOENT;
    *ts_p = s->ts;
    *values_p = s->values;
    *n_p = s->len;
    return 0;
}

int pb_summary_set_get(const pb_summary_set_t *self, const char *field, pb_summary_t *out)
{
    const s_series_t *s = s_find(self, field);
    if (!s)
        return -ENOENT;
    return pb_summary_compute(s->ts, s->values, s->len, 0, UINT64_MAX, out);
}

pb_value_t *pb_summary_set_to_value(const pb_summary_set_t *self)
{
    pb_value_t *map = pb_value_map_new();
    for (size_t i = 0; map && i < self->len; i++) {
        pb_summary_t sum;
        int rc = pb_summary_set_get(self, self->series[i].field, &sum);
        if (rc == -ENODATA)
            continue;
        pb_value_t *item = rc == 0 ? pb_summary_to_value(&sum) : NULL;
        if (!item || pb_value_map_put(map, self->series[i].field, &item) < 0)
            pb_value_destroy(&map);
    }
    return map;
}
