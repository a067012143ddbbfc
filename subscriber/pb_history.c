/* pb_history: routes sys/proc frames into per-series rings and answers window queries. */
#include "pb_history.h"

#include "pb_catalog.h"
#include "pb_grow.h"
#include "pb_ring.h"
#include "pb_summary.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *host;
    int64_t pid; /* -1 for the system series */
    char *comm;
    pb_ring_t *ring;
    int16_t *column; /* by catalogue index: the ring's column, -1 before the field's first value */
    uint64_t first_seen, last_seen; /* frame ts */
    uint64_t last_recv;             /* subscriber clock of the last frame */
    uint64_t gone_recv;             /* subscriber clock of the gone frame, 0 if none */
    unsigned char *latest;          /* the payload of the newest frame (for /metrics), reused */
    size_t latest_len, latest_cap;
} s_series_t;

struct pb_history {
    pb_history_config_t config;
    s_series_t *series;
    size_t len, cap;
    pb_history_full_fn *full_fn;
    void *full_arg;
    uint64_t untold;    /* frames refused since the last full-table report */
    uint64_t told_recv; /* subscriber clock of the last report */
    bool told;          /* a report was made */
    size_t hint;        /* where s_find looks first */
};

pb_history_t *pb_history_new(const pb_history_config_t *config)
{
    pb_history_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (config)
        self->config = *config;
    pb_history_config_t *c = &self->config;
    c->capacity = c->capacity ? c->capacity : 3600;
    c->max_fields = c->max_fields ? c->max_fields : 256;
    c->max_procs = c->max_procs ? c->max_procs : 512;
    c->gone_ns = c->gone_ns ? c->gone_ns : 10 * 1000000000ull;
    c->idle_ns = c->idle_ns ? c->idle_ns : 300 * 1000000000ull;
    return self;
}

void pb_history_set_full_fn(pb_history_t *self, pb_history_full_fn *fn, void *arg)
{
    self->full_fn = fn;
    self->full_arg = arg;
}

static void s_series_free(s_series_t *s)
{
    free(s->host);
    free(s->comm);
    free(s->column);
    free(s->latest);
    pb_ring_destroy(&s->ring);
}

void pb_history_destroy(pb_history_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_history_t *self = *self_p;
    for (size_t i = 0; i < self->len; i++)
        s_series_free(&self->series[i]);
    free(self->series);
    free(self);
    *self_p = NULL;
}

/* A fresh ring, and its column map with every field unresolved. */
static int s_new_ring(const pb_history_t *self, s_series_t *s)
{
    size_t n = pb_catalog_size();
    pb_ring_t *ring = pb_ring_new(self->config.capacity, self->config.max_fields);
    int16_t *column = malloc(n * sizeof *column);
    if (!ring || !column) {
        pb_ring_destroy(&ring);
        free(column);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        column[i] = -1;
    pb_ring_destroy(&s->ring);
    free(s->column);
    s->ring = ring;
    s->column = column;
    return 0;
}

static bool s_is(const s_series_t *s, const char *host, int64_t pid)
{
    return s->pid == pid && strcmp(s->host, host) == 0;
}

/* A publisher sends its series in the same order every cycle, and series are
 * made in the order their first frames came: the one after the last found is
 * tried first, so a steady stream finds each series without a scan. */
static s_series_t *s_find(pb_history_t *self, const char *host, int64_t pid)
{
    size_t next = self->hint < self->len ? self->hint : 0;
    for (size_t k = 0; k < self->len; k++) {
        size_t i = (next + k) % self->len;
        if (s_is(&self->series[i], host, pid)) {
            self->hint = i + 1;
            return &self->series[i];
        }
    }
    return NULL;
}

static size_t s_count(const pb_history_t *self, bool procs)
{
    size_t n = 0;
    for (size_t i = 0; i < self->len; i++)
        n += (self->series[i].pid >= 0) == procs;
    return n;
}

static void s_remove(pb_history_t *self, size_t i)
{
    s_series_free(&self->series[i]);
    self->series[i] = self->series[--self->len];
}

/* The process series that vanished longest ago: gone first, else silent for
 * more than gone_ns; -1 if every process series is live. */
static long s_vanished(const pb_history_t *self, uint64_t now)
{
    long gone = -1, silent = -1;
    for (size_t i = 0; i < self->len; i++) {
        const s_series_t *s = &self->series[i];
        if (s->pid < 0)
            continue;
        if (s->gone_recv && (gone < 0 || s->gone_recv < self->series[gone].gone_recv))
            gone = (long)i;
        bool stale =
            !s->gone_recv && now > s->last_recv && now - s->last_recv > self->config.gone_ns;
        if (stale && (silent < 0 || s->last_recv < self->series[silent].last_recv))
            silent = (long)i;
    }
    return gone >= 0 ? gone : silent;
}

/* Room for one more series of this kind: a process may take a vanished
 * one's slot. 0 or -ENOSPC. */
static int s_make_room(pb_history_t *self, int64_t pid, uint64_t now)
{
    if (s_count(self, pid >= 0) < self->config.max_procs)
        return 0;
    long victim = pid >= 0 ? s_vanished(self, now) : -1;
    if (victim < 0)
        return -ENOSPC;
    s_remove(self, (size_t)victim);
    return 0;
}

/* A new empty series; NULL with *rc = -ENOSPC (table full) or -ENOMEM. */
static s_series_t *s_create(pb_history_t *self, const char *host, int64_t pid, uint64_t now,
                            int *rc)
{
    *rc = s_make_room(self, pid, now);
    if (*rc < 0)
        return NULL;
    *rc = -ENOMEM;
    if (pb_grow((void **)&self->series, &self->cap, self->len, sizeof *self->series, 16) < 0)
        return NULL;
    s_series_t *s = &self->series[self->len];
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->host = strdup(host);
    if (!s->host || s_new_ring(self, s) < 0) {
        s_series_free(s);
        return NULL;
    }
    self->len++;
    *rc = 0;
    return s;
}

/* Reports refusals once a minute (the first at once). */
static void s_tell_full(pb_history_t *self, uint64_t now)
{
    if (!self->untold || (self->told && now - self->told_recv < PB_HISTORY_REPORT_NS))
        return;
    if (self->full_fn)
        self->full_fn(self->config.max_procs, self->untold, self->full_arg);
    self->untold = 0;
    self->told = true;
    self->told_recv = now;
}

static int s_refuse(pb_history_t *self, uint64_t now)
{
    self->untold++;
    s_tell_full(self, now);
    return -ENOSPC;
}

/* A live frame for a gone series: the pid was reused, start afresh. */
static int s_restart(pb_history_t *self, s_series_t *s, const pb_frame_view_t *frame)
{
    if (!s->gone_recv || frame->gone)
        return 0;
    int rc = s_new_ring(self, s);
    if (rc < 0)
        return rc;
    s->first_seen = 0;
    s->gone_recv = 0;
    return 0;
}

static void s_note_process(s_series_t *s, const pb_frame_view_t *frame, uint64_t recv_ns)
{
    if (frame->has_comm && (!s->comm || strcmp(s->comm, frame->comm))) {
        free(s->comm);
        s->comm = strdup(frame->comm);
    }
    if (frame->gone)
        s->gone_recv = recv_ns;
}

/* Rates and percentages need no more than a float's precision; every other
 * number is kept exactly, as a float while it fits one. */
static pb_ring_store_t s_store(const pb_catalog_field_t *f)
{
    return f->kind == PB_KIND_RATE || f->unit == PB_CU_PCT ? PB_RING_FLOAT : PB_RING_COMPACT;
}

/* The frame's numbers into the newest row. A frame with more fields than the
 * ring has columns keeps the first ones. */
static int s_set_numbers(s_series_t *s, const pb_frame_view_t *frame)
{
    for (size_t i = 0; i < frame->nnumbers; i++) {
        const pb_frame_number_t *n = &frame->numbers[i];
        int16_t *j = &s->column[n->field->index];
        if (*j < 0) {
            int rc = pb_ring_column(s->ring, n->field->path, s_store(n->field));
            if (rc == -ENOSPC)
                continue;
            if (rc < 0)
                return rc;
            *j = (int16_t)rc;
        }
        int rc = pb_ring_set_at(s->ring, (size_t)*j, n->value);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The payload into the series' buffer, grown as needed and never shrunk: a
 * steady stream copies without allocating. Without a payload, or for a gone
 * frame, the series has none. */
static int s_keep_latest(s_series_t *s, const void *payload, size_t len)
{
    s->latest_len = 0;
    if (!payload || s->gone_recv)
        return 0;
    if (len > s->latest_cap) {
        unsigned char *p = realloc(s->latest, len);
        if (!p)
            return -ENOMEM;
        s->latest = p;
        s->latest_cap = len;
    }
    memcpy(s->latest, payload, len);
    s->latest_len = len;
    return 0;
}

int pb_history_add(pb_history_t *self, const pb_frame_view_t *frame, uint64_t recv_ns)
{
    return pb_history_add_payload(self, frame, NULL, 0, recv_ns);
}

int pb_history_add_payload(pb_history_t *self, const pb_frame_view_t *frame, const void *payload,
                           size_t len, uint64_t recv_ns)
{
    const pb_envelope_t *env = &frame->env;
    int64_t pid = -1;
    if (frame->type == PB_FT_PROC) {
        if (!frame->has_pid || frame->pid > INT64_MAX)
            return -EINVAL;
        pid = (int64_t)frame->pid;
    } else if (frame->type != PB_FT_SYS)
        return 0;
    s_series_t *s = s_find(self, env->host, pid);
    int rc = s ? s_restart(self, s, frame) : 0;
    if (!s && !(s = s_create(self, env->host, pid, recv_ns, &rc)))
        return rc == -ENOSPC ? s_refuse(self, recv_ns) : rc;
    if (rc < 0)
        return rc;
    s->first_seen = s->first_seen ? s->first_seen : env->ts;
    s->last_seen = env->ts;
    s->last_recv = recv_ns;
    if (pid >= 0)
        s_note_process(s, frame, recv_ns);
    if ((rc = s_keep_latest(s, payload, len)) < 0 || s->gone_recv)
        return rc;
    rc = pb_ring_push(s->ring, env->ts);
    if (rc < 0)
        return rc;
    if (self->config.max_age_ns && env->ts > self->config.max_age_ns)
        pb_ring_drop_before(s->ring, env->ts - self->config.max_age_ns);
    return s_set_numbers(s, frame);
}

static bool s_expired(const pb_history_t *self, const s_series_t *s, uint64_t now)
{
    uint64_t since = s->gone_recv ? s->gone_recv : s->last_recv;
    uint64_t keep = s->gone_recv ? self->config.gone_ns : self->config.idle_ns;
    return s->pid >= 0 && now > since && now - since > keep;
}

size_t pb_history_expire(pb_history_t *self, uint64_t now_ns)
{
    size_t freed = 0;
    for (size_t i = 0; i < self->len;) {
        if (!s_expired(self, &self->series[i], now_ns)) {
            i++;
            continue;
        }
        s_remove(self, i);
        freed++;
    }
    s_tell_full(self, now_ns);
    return freed;
}

int pb_history_each_latest(const pb_history_t *self, const char *host, pb_history_latest_fn *fn,
                           void *arg)
{
    for (int procs = 0; procs < 2; procs++) {
        for (size_t i = 0; i < self->len; i++) {
            const s_series_t *s = &self->series[i];
            if ((s->pid >= 0) != procs || !s->latest_len || (host && strcmp(s->host, host)))
                continue;
            int rc = fn(s->host, s->pid, s->latest, s->latest_len, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

bool pb_history_has_host(const pb_history_t *self, const char *host)
{
    for (size_t i = 0; i < self->len; i++)
        if (strcmp(self->series[i].host, host) == 0)
            return true;
    return false;
}

uint64_t pb_history_gone_ns(const pb_history_t *self)
{
    return self->config.gone_ns;
}

size_t pb_history_nseries(const pb_history_t *self)
{
    return self->len;
}

size_t pb_history_memory(const pb_history_t *self)
{
    size_t bytes = sizeof *self + self->cap * sizeof *self->series;
    for (size_t i = 0; i < self->len; i++)
        bytes += pb_ring_memory(self->series[i].ring) + pb_catalog_size() * sizeof(int16_t) +
                 self->series[i].latest_cap;
    return bytes;
}

/* ---- queries ---- */

static const s_series_t *s_lookup(const pb_history_t *self, const pb_history_query_t *q)
{
    const s_series_t *best = NULL;
    for (size_t i = 0; i < self->len; i++) {
        const s_series_t *s = &self->series[i];
        bool pid_ok = q->pid < 0 ? s->pid < 0 : s->pid == q->pid;
        if (pid_ok && (!q->host || strcmp(s->host, q->host) == 0) &&
            (!best || s->last_recv > best->last_recv))
            best = s;
    }
    return best;
}

static bool s_field_wanted(const pb_history_query_t *q, const char *field)
{
    if (!q->fields)
        return true;
    for (size_t k = 0; k < q->nfields; k++) {
        size_t n = strlen(q->fields[k]);
        if (strncmp(field, q->fields[k], n) == 0 && (field[n] == '\0' || field[n] == '.'))
            return true;
    }
    return false;
}

/* The rows [*lo, *hi) of the ring that are in q's window. */
static void s_window(const pb_ring_t *ring, const pb_history_query_t *q, size_t *lo, size_t *hi,
                     uint64_t *from, uint64_t *to)
{
    size_t n = pb_ring_len(ring);
    *from = q->from_ns;
    *to = q->to_ns ? q->to_ns : UINT64_MAX;
    if (q->last_s > 0 && n > 0) {
        uint64_t newest = pb_ring_ts(ring, n - 1), span = (uint64_t)(q->last_s * 1e9);
        uint64_t since = newest > span ? newest - span : 0;
        *from = since > *from ? since : *from;
    }
    *lo = 0;
    while (*lo < n && pb_ring_ts(ring, *lo) < *from)
        (*lo)++;
    *hi = *lo;
    while (*hi < n && pb_ring_ts(ring, *hi) <= *to)
        (*hi)++;
}

static int s_put_identity(pb_value_t *out, const s_series_t *s)
{
    char name[320];
    if (s->pid < 0)
        snprintf(name, sizeof name, "sys.%s", s->host);
    else
        snprintf(name, sizeof name, "proc.%s.%lld", s->host, (long long)s->pid);
    int rc = pb_value_map_put_str(out, "series", name);
    rc = rc ? rc : pb_value_map_put_str(out, "host", s->host);
    if (s->pid >= 0) {
        rc = rc ? rc : pb_value_map_put_uint(out, "pid", (uint64_t)s->pid);
        rc = rc ? rc : pb_value_map_put_str(out, "comm", s->comm ? s->comm : "");
    }
    return rc;
}

static pb_value_t *s_column_values(const pb_ring_t *ring, size_t j, size_t lo, size_t hi, bool *any)
{
    pb_value_t *arr = pb_value_array_new();
    for (size_t i = lo; arr && i < hi; i++) {
        double v = pb_ring_value(ring, j, i);
        pb_value_t *item = isnan(v) ? pb_value_nil_new() : pb_value_float_new(v);
        *any = *any || !isnan(v);
        if (pb_value_array_push(arr, &item) < 0)
            pb_value_destroy(&arr);
    }
    return arr;
}

static int s_put_rows(pb_value_t *out, const s_series_t *s, const pb_history_query_t *q)
{
    size_t lo, hi;
    uint64_t from, to;
    s_window(s->ring, q, &lo, &hi, &from, &to);
    pb_value_t *ts = pb_value_array_new(), *fields = pb_value_map_new();
    int rc = ts && fields ? 0 : -ENOMEM;
    for (size_t i = lo; rc == 0 && i < hi; i++)
        rc = pb_value_array_push(ts, &(pb_value_t *){pb_value_uint_new(pb_ring_ts(s->ring, i))});
    for (size_t j = 0; rc == 0 && j < pb_ring_nfields(s->ring); j++) {
        const char *name = pb_ring_field_at(s->ring, j);
        bool any = false;
        pb_value_t *col =
            s_field_wanted(q, name) ? s_column_values(s->ring, j, lo, hi, &any) : NULL;
        if (col && any)
            rc = pb_value_map_put(fields, name, &col);
        pb_value_destroy(&col);
    }
    rc = rc ? rc : pb_value_map_put(out, "ts", &ts);
    rc = rc ? rc : pb_value_map_put(out, "fields", &fields);
    pb_value_destroy(&ts);
    pb_value_destroy(&fields);
    return rc;
}

static int s_put_summary(pb_value_t *out, const s_series_t *s, const pb_history_query_t *q)
{
    size_t lo, hi, n = pb_ring_len(s->ring);
    uint64_t from, to;
    s_window(s->ring, q, &lo, &hi, &from, &to);
    uint64_t *ts = malloc((n ? n : 1) * sizeof *ts);
    double *values = malloc((n ? n : 1) * sizeof *values);
    pb_value_t *summary = pb_value_map_new();
    int rc = ts && values && summary ? 0 : -ENOMEM;
    for (size_t j = 0; rc == 0 && j < pb_ring_nfields(s->ring); j++) {
        const char *name = pb_ring_field_at(s->ring, j);
        pb_summary_t sum;
        pb_ring_copy(s->ring, j, ts, values);
        if (!s_field_wanted(q, name) ||
            pb_summary_compute(ts + lo, values + lo, hi - lo, 0, UINT64_MAX, &sum) < 0)
            continue;
        pb_value_t *item = pb_summary_to_value(&sum);
        rc = item ? pb_value_map_put(summary, name, &item) : -ENOMEM;
    }
    rc = rc ? rc : pb_value_map_put_uint(out, "samples", hi - lo);
    rc = rc ? rc : pb_value_map_put_uint(out, "from_ns", lo < hi ? pb_ring_ts(s->ring, lo) : 0);
    rc = rc ? rc : pb_value_map_put_uint(out, "to_ns", lo < hi ? pb_ring_ts(s->ring, hi - 1) : 0);
    rc = rc ? rc : pb_value_map_put(out, "summary", &summary);
    pb_value_destroy(&summary);
    free(ts);
    free(values);
    return rc;
}

typedef int(s_put_fn)(pb_value_t *out, const s_series_t *s, const pb_history_query_t *q);

static int s_query(const pb_history_t *self, const pb_history_query_t *q, s_put_fn *put,
                   pb_value_t **out_p)
{
    const s_series_t *s = s_lookup(self, q);
    if (!s)
        return -ENOENT;
    pb_value_t *out = pb_value_map_new();
    int rc = out ? s_put_identity(out, s) : -ENOMEM;
    rc = rc ? rc : put(out, s, q);
    if (rc < 0) {
        pb_value_destroy(&out);
        return rc;
    }
    *out_p = out;
    return 0;
}

int pb_history_history(const pb_history_t *self, const pb_history_query_t *q, pb_value_t **out_p)
{
    return s_query(self, q, s_put_rows, out_p);
}

int pb_history_summary(const pb_history_t *self, const pb_history_query_t *q, pb_value_t **out_p)
{
    return s_query(self, q, s_put_summary, out_p);
}

static pb_value_t *s_process_entry(const s_series_t *s, const pb_history_query_t *q, int what)
{
    pb_value_t *e = pb_value_map_new();
    int rc = e ? s_put_identity(e, s) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(e, "first_seen_ns", s->first_seen);
    rc = rc ? rc : pb_value_map_put_uint(e, "last_seen_ns", s->last_seen);
    rc = rc ? rc : pb_value_map_put_bool(e, "gone", s->gone_recv != 0);
    if (what == 0)
        rc = rc ? rc : pb_value_map_put_uint(e, "samples", pb_ring_len(s->ring));
    else
        rc = rc ? rc : (what == 1 ? s_put_summary : s_put_rows)(e, s, q);
    if (rc < 0)
        pb_value_destroy(&e);
    return e;
}

int pb_history_processes(const pb_history_t *self, const pb_history_query_t *q, int what,
                         pb_value_t **out_p)
{
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < self->len; i++) {
        const s_series_t *s = &self->series[i];
        if (s->pid < 0 || (q->host && strcmp(s->host, q->host) != 0))
            continue;
        pb_value_t *e = s_process_entry(s, q, what);
        if (!e || pb_value_array_push(list, &e) < 0)
            pb_value_destroy(&list);
    }
    if (!list)
        return -ENOMEM;
    *out_p = list;
    return 0;
}
