/* pb_events_index: per-host rings of frame marks, and the replay of a host's marks from history. */
#include "pb_events_index.h"

#include "pb_catalog.h"
#include "pb_grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HOST_MAX (PB_FRAME_TEXT_MAX + 1)

/* One host's marks: a ring of cap slots, [head, head + len) oldest first. */
typedef struct {
    char name[S_HOST_MAX];
    pb_events_mark_t *marks;
    size_t cap, head, len;
    size_t nsys; /* sys marks among them */
} s_host_t;

struct pb_events_index {
    size_t rows;
    s_host_t *hosts; /* PB_EVENTS_INDEX_HOSTS slots, nhosts used */
    size_t nhosts;
    s_host_t *last; /* of the last add: a sample's sys and proc frames come together */
};

pb_events_index_t *pb_events_index_new(size_t rows)
{
    pb_events_index_t *self = calloc(1, sizeof *self);
    if (self)
        self->hosts = calloc(PB_EVENTS_INDEX_HOSTS, sizeof *self->hosts);
    if (self && !self->hosts) {
        free(self);
        return NULL;
    }
    if (self)
        self->rows = rows ? rows : 1;
    return self;
}

void pb_events_index_destroy(pb_events_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_events_index_t *self = *self_p;
    for (size_t i = 0; i < self->nhosts; i++)
        free(self->hosts[i].marks);
    free(self->hosts);
    free(self);
    *self_p = NULL;
}

static const s_host_t *s_find(const pb_events_index_t *self, const char *name)
{
    for (size_t i = 0; i < self->nhosts; i++)
        if (strcmp(self->hosts[i].name, name) == 0)
            return &self->hosts[i];
    return NULL;
}

static const pb_events_mark_t *s_at(const s_host_t *h, size_t i)
{
    return &h->marks[(h->head + i) % h->cap];
}

static void s_pop(s_host_t *h)
{
    h->nsys -= s_at(h, 0)->pid < 0;
    h->head = (h->head + 1) % h->cap;
    h->len--;
}

/* Room for one more mark: doubles the ring (unrolled, oldest first) while under max. */
static int s_room(s_host_t *h, size_t max)
{
    if (h->len < h->cap)
        return 0;
    if (h->cap >= max) {
        s_pop(h);
        return 0;
    }
    pb_events_mark_t *grown = NULL;
    size_t cap = 0;
    if (pb_grow((void **)&grown, &cap, 0, sizeof *grown, h->cap ? h->cap * 2 : 64) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < h->len; i++)
        grown[i] = *s_at(h, i);
    free(h->marks);
    h->marks = grown;
    h->cap = cap;
    h->head = 0;
    return 0;
}

int pb_events_index_add(pb_events_index_t *self, const char *host, const pb_events_mark_t *mark)
{
    s_host_t *h = self->last && strcmp(self->last->name, host) == 0
                      ? self->last
                      : (s_host_t *)s_find(self, host);
    if (!h && self->nhosts == PB_EVENTS_INDEX_HOSTS)
        return -ENOSPC;
    if (!h) {
        h = &self->hosts[self->nhosts++];
        snprintf(h->name, sizeof h->name, "%s", host);
    }
    if (s_room(h, self->rows * PB_EVENTS_INDEX_MARKS_PER_ROW) < 0)
        return -ENOMEM;                              /* the host keeps its slot for the next try */
    while (mark->pid < 0 && h->nsys >= self->rows) { /* the oldest sample goes: sys and procs */
        do
            s_pop(h);
        while (h->len && s_at(h, 0)->pid >= 0);
    }
    h->marks[(h->head + h->len++) % h->cap] = *mark;
    h->nsys += mark->pid < 0;
    return 0;
}

/* ---- replay ---- */

/* One series' rows for a replay: its history reply and a cursor into the reply's ts. */
typedef struct {
    int64_t pid;
    pb_value_t *out; /* NULL: the history holds no such series (now) */
    const pb_value_t *ts, *fields;
    const char *comm;
    size_t next;
} s_rows_t;

typedef struct {
    const s_host_t *h;
    const pb_history_t *history;
    const pb_events_replay_t *how;
    uint64_t from_ns;
    s_rows_t *series; /* one per pid met (and the sys series), nseries used */
    size_t nseries;
} s_replay_t;

/* The position of the first mark to replay: after seq last, within the newest max samples (a
 * sample is its sys mark and the proc marks after it, as perfbusd sends them). */
static size_t s_first(const s_host_t *h, uint64_t last, size_t max)
{
    size_t i = h->len, samples = 0;
    while (i > 0 && samples < max && s_at(h, i - 1)->seq > last)
        samples += s_at(h, --i)->pid < 0;
    return i;
}

/* The replay's rows of pid's series, queried the first time it is met. */
static s_rows_t *s_series(s_replay_t *r, int64_t pid)
{
    for (size_t i = 0; i < r->nseries; i++)
        if (r->series[i].pid == pid)
            return &r->series[i];
    s_rows_t *s = &r->series[r->nseries++];
    *s = (s_rows_t){.pid = pid};
    pb_history_query_t q = {.host = r->h->name,
                            .pid = pid < 0 ? -1 : pid,
                            .from_ns = r->from_ns,
                            .to_ns = UINT64_MAX,
                            .fields = pid < 0 ? r->how->sys_fields : NULL,
                            .nfields = pid < 0 ? r->how->nsys_fields : 0};
    if (pb_history_history(r->history, &q, &s->out) < 0)
        s->out = NULL;
    s->ts = pb_value_map_get(s->out, "ts");
    s->fields = pb_value_map_get(s->out, "fields");
    if (pb_value_get_str(pb_value_map_get(s->out, "comm"), &s->comm) < 0)
        s->comm = NULL;
    return s;
}

/* The row of s at ts (moving its cursor past it), or -1 when s holds none. */
static long s_row_at(s_rows_t *s, uint64_t ts)
{
    while (s->next < pb_value_len(s->ts)) {
        uint64_t t = 0;
        pb_value_get_u64(pb_value_array_at(s->ts, s->next), &t);
        if (t > ts)
            return -1;
        if (s->next++, t == ts)
            return (long)s->next - 1;
    }
    return -1;
}

/* body.fields: row `row` of s (none when row < 0); a process's counters are left out, as live. */
static int s_put_fields(pb_value_t *body, const s_rows_t *s, long row)
{
    pb_value_t *f = pb_value_map_new();
    int rc = f ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && row >= 0 && i < pb_value_len(s->fields); i++) {
        const char *name = pb_value_map_key_at(s->fields, i);
        const pb_catalog_field_t *c = s->pid < 0 ? NULL : pb_catalog_find(PB_FT_PROC, name);
        double v = 0;
        if (c && c->kind == PB_KIND_COUNTER)
            continue;
        const pb_value_t *col = pb_value_map_value_at(s->fields, i);
        if (pb_value_get_f64(pb_value_array_at(col, (size_t)row), &v) == 0)
            rc = pb_value_map_put_float(f, name, v);
    }
    rc = rc ? rc : pb_value_map_put(body, "fields", &f);
    pb_value_destroy(&f);
    return rc;
}

static pb_value_t *s_body(const s_replay_t *r, const pb_events_mark_t *m, const s_rows_t *s,
                          long row)
{
    pb_value_t *b = pb_value_map_new();
    int rc = b ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(b, "seq", m->seq);
    rc = rc ? rc : pb_value_map_put_uint(b, "ts", m->ts);
    rc = rc ? rc : pb_value_map_put_str(b, "host", r->h->name);
    rc = rc ? rc : pb_value_map_put_bool(b, "replay", true);
    rc = rc ? rc : s_put_fields(b, s, row);
    if (m->pid >= 0) {
        rc = rc ? rc : pb_value_map_put_uint(b, "pid", (uint64_t)m->pid);
        rc = rc ? rc : pb_value_map_put_str(b, "comm", s->comm ? s->comm : "");
        rc = rc ? rc : pb_value_map_put_bool(b, "gone", m->gone);
    }
    if (rc < 0)
        pb_value_destroy(&b);
    return b;
}

/* Replays mark m: 0 when its row is gone from the history, else fn's return (or -ENOMEM). */
static int s_replay_mark(s_replay_t *r, const pb_events_mark_t *m, pb_events_replay_fn *fn,
                         void *arg)
{
    s_rows_t *s = s_series(r, m->pid);
    long row = s_row_at(s, m->ts);
    if (row < 0 && !m->gone)
        return 0;
    pb_value_t *body = s_body(r, m, s, row);
    int rc = body ? fn(arg, m->pid < 0 ? "sys" : "proc", m->seq, body) : -ENOMEM;
    pb_value_destroy(&body);
    return rc;
}

int pb_events_index_replay(const pb_events_index_t *self, const char *host, uint64_t last,
                           const pb_history_t *history, const pb_events_replay_t *how,
                           pb_events_replay_fn *fn, void *arg)
{
    const s_host_t *h = s_find(self, host);
    size_t first = h ? s_first(h, last, how->max_samples) : 0;
    if (!h || first == h->len)
        return 0;
    s_replay_t r = {.h = h, .history = history, .how = how, .from_ns = UINT64_MAX};
    for (size_t i = first; i < h->len; i++)
        r.from_ns = s_at(h, i)->ts < r.from_ns ? s_at(h, i)->ts : r.from_ns;
    r.series = calloc(h->len - first, sizeof *r.series); /* at most one series a mark */
    int rc = r.series ? 0 : -ENOMEM;
    for (size_t i = first; rc == 0 && i < h->len; i++)
        rc = s_replay_mark(&r, s_at(h, i), fn, arg);
    for (size_t i = 0; i < r.nseries; i++)
        pb_value_destroy(&r.series[i].out);
    free(r.series);
    return rc;
}
