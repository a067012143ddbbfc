/* pb_sources: per-publisher frame counters, sequence-gap (loss) detection, host up/down. */
#include "pb_sources.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *src, *host;
    uint64_t frames, bytes, lost, out_of_order;
    uint64_t first_seq, last_seq;
    uint64_t first_seen, last_seen; /* local clock */
    uint64_t period;                /* heartbeat period; 0: sends none */
    bool down, replaced;
    size_t slot; /* a guess at its host's index in hosts[], checked before use */
} s_source_t;

typedef struct {
    char *host, *src; /* src: the newest source */
    uint64_t period, last_seen;
    uint64_t alive_until; /* up while now <= this (once tracked) */
    uint64_t down_total;
    bool tracked, down;
    size_t nperiods; /* ever; the ring holds the last PB_SOURCES_PERIODS */
    pb_sources_period_t periods[PB_SOURCES_PERIODS];
} s_host_t;

struct pb_sources {
    s_source_t items[PB_SOURCES_MAX];
    size_t len;
    s_host_t hosts[PB_SOURCES_MAX];
    size_t nhosts;
    uint64_t lost_forgotten;
    unsigned down_after;
    pb_sources_host_fn *change_fn;
    void *change_arg;
};

pb_sources_t *pb_sources_new(void)
{
    pb_sources_t *self = calloc(1, sizeof(pb_sources_t));
    if (self)
        self->down_after = PB_SOURCES_DOWN_AFTER;
    return self;
}

static void s_forget(pb_sources_t *self, size_t i)
{
    self->lost_forgotten += self->items[i].lost;
    free(self->items[i].src);
    free(self->items[i].host);
    self->items[i] = self->items[--self->len];
}

static void s_forget_host(pb_sources_t *self, size_t i)
{
    free(self->hosts[i].host);
    free(self->hosts[i].src);
    self->hosts[i] = self->hosts[--self->nhosts];
}

void pb_sources_destroy(pb_sources_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sources_t *self = *self_p;
    while (self->len > 0)
        s_forget(self, self->len - 1);
    while (self->nhosts > 0)
        s_forget_host(self, self->nhosts - 1);
    free(self);
    *self_p = NULL;
}

void pb_sources_set_down_after(pb_sources_t *self, unsigned n)
{
    self->down_after = n ? n : PB_SOURCES_DOWN_AFTER;
}

unsigned pb_sources_down_after(const pb_sources_t *self)
{
    return self->down_after;
}

void pb_sources_set_change_fn(pb_sources_t *self, pb_sources_host_fn *fn, void *arg)
{
    self->change_fn = fn;
    self->change_arg = arg;
}

/* ---- hosts ---- */

/* The index of s's host in hosts[], SIZE_MAX when it has none; s->slot is tried first. */
static size_t s_host_index(const pb_sources_t *self, const s_source_t *s)
{
    if (s->slot < self->nhosts && strcmp(self->hosts[s->slot].host, s->host) == 0)
        return s->slot;
    for (size_t i = 0; i < self->nhosts; i++)
        if (strcmp(self->hosts[i].host, s->host) == 0)
            return i;
    return SIZE_MAX;
}

static s_host_t *s_host_find(pb_sources_t *self, s_source_t *s)
{
    s->slot = s_host_index(self, s);
    return s->slot == SIZE_MAX ? NULL : &self->hosts[s->slot];
}

static s_host_t *s_host_add(pb_sources_t *self, s_source_t *s)
{
    if (self->nhosts == PB_SOURCES_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < self->nhosts; i++)
            if (self->hosts[i].last_seen < self->hosts[oldest].last_seen)
                oldest = i;
        s_forget_host(self, oldest);
    }
    s_host_t *h = &self->hosts[self->nhosts];
    memset(h, 0, sizeof *h);
    h->host = strdup(s->host);
    if (!h->host)
        return NULL;
    s->slot = self->nhosts++;
    return h;
}

/* Makes src the host's newest source. */
static int s_host_src(s_host_t *h, const char *src)
{
    char *copy = strdup(src);
    if (!copy)
        return -ENOMEM;
    free(h->src);
    h->src = copy;
    return 0;
}

/* The host of s, made when new (its src is s until a heartbeat source comes). */
static s_host_t *s_host_of(pb_sources_t *self, s_source_t *s)
{
    s_host_t *h = s_host_find(self, s);
    if (!h && !(h = s_host_add(self, s)))
        return NULL;
    if (!h->src && s_host_src(h, s->src) < 0)
        return NULL;
    return h;
}

/* A new heartbeat source of a host replaces the older ones (a restart). */
static void s_replace(pb_sources_t *self, s_host_t *h, const s_source_t *s)
{
    if (s_host_src(h, s->src) < 0)
        return; /* h->src stays the older one: only the display is off */
    for (size_t i = 0; i < self->len; i++)
        if (&self->items[i] != s && self->items[i].period &&
            strcmp(self->items[i].host, s->host) == 0)
            self->items[i].replaced = true;
}

static void s_host_entry(const s_host_t *h, pb_sources_host_t *e)
{
    memset(e, 0, offsetof(pb_sources_host_t, periods));
    e->host = h->host;
    e->src = h->src ? h->src : "";
    e->tracked = h->tracked;
    e->up = !h->down;
    e->heartbeat_ns = h->period;
    e->last_seen_ns = h->last_seen;
    e->down_total = h->down_total;
    size_t n = h->nperiods < PB_SOURCES_PERIODS ? h->nperiods : PB_SOURCES_PERIODS;
    for (size_t i = 0; i < n; i++)
        e->periods[i] = h->periods[(h->nperiods - n + i) % PB_SOURCES_PERIODS];
    e->nperiods = n;
}

static void s_changed(pb_sources_t *self, const s_host_t *h)
{
    if (!self->change_fn)
        return;
    pb_sources_host_t e;
    s_host_entry(h, &e);
    self->change_fn(&e, self->change_arg);
}

static void s_host_down(pb_sources_t *self, s_host_t *h)
{
    h->down = true;
    h->down_total++;
    h->periods[h->nperiods % PB_SOURCES_PERIODS] = (pb_sources_period_t){h->last_seen, 0};
    h->nperiods++;
    s_changed(self, h);
}

static void s_host_up(pb_sources_t *self, s_host_t *h, uint64_t recv_ns)
{
    h->down = false;
    h->periods[(h->nperiods - 1) % PB_SOURCES_PERIODS].to_ns = recv_ns;
    s_changed(self, h);
}

/* A frame from a source judged by heartbeats keeps its host up. */
static void s_host_heard(pb_sources_t *self, s_host_t *h, const s_source_t *s, uint64_t recv_ns)
{
    uint64_t until = recv_ns + self->down_after * s->period;
    h->tracked = true;
    h->period = s->period;
    if (until > h->alive_until || h->down)
        h->alive_until = until;
    if (h->down)
        s_host_up(self, h, recv_ns);
}

/* ---- sources ---- */

static s_source_t *s_add(pb_sources_t *self, const pb_envelope_t *env, uint64_t recv_ns)
{
    if (self->len == PB_SOURCES_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < self->len; i++)
            if (self->items[i].last_seen < self->items[oldest].last_seen)
                oldest = i;
        s_forget(self, oldest);
    }
    s_source_t *s = &self->items[self->len];
    memset(s, 0, sizeof *s);
    s->src = strdup(env->src);
    s->host = strdup(env->host);
    if (!s->src || !s->host) {
        free(s->src);
        free(s->host);
        return NULL;
    }
    s->first_seq = s->last_seq = env->seq;
    s->first_seen = recv_ns;
    s->slot = SIZE_MAX;
    self->len++;
    return s;
}

static s_source_t *s_find(pb_sources_t *self, const char *src)
{
    for (size_t i = 0; i < self->len; i++)
        if (strcmp(self->items[i].src, src) == 0)
            return &self->items[i];
    return NULL;
}

static int64_t s_count(s_source_t *s, const pb_envelope_t *env, size_t bytes, uint64_t recv_ns)
{
    int64_t lost = 0;
    if (s->frames > 0 && env->seq > s->last_seq + 1)
        lost = (int64_t)(env->seq - s->last_seq - 1);
    else if (s->frames > 0 && env->seq <= s->last_seq)
        s->out_of_order++;
    if (s->frames == 0 || env->seq > s->last_seq)
        s->last_seq = env->seq;
    s->lost += (uint64_t)lost;
    s->frames++;
    s->bytes += bytes;
    s->last_seen = recv_ns;
    return lost;
}

int64_t pb_sources_note(pb_sources_t *self, const pb_envelope_t *env, size_t bytes,
                        uint64_t recv_ns)
{
    s_source_t *s = s_find(self, env->src);
    if (!s && !(s = s_add(self, env, recv_ns)))
        return -ENOMEM;
    s_host_t *h = s_host_of(self, s);
    if (!h)
        return -ENOMEM;
    int64_t lost = s_count(s, env, bytes, recv_ns);
    h->last_seen = recv_ns;
    s->down = false;
    if (s->period)
        s_host_heard(self, h, s, recv_ns);
    return lost;
}

void pb_sources_heartbeat(pb_sources_t *self, const char *src, uint64_t period_ns, uint64_t recv_ns)
{
    s_source_t *s = s_find(self, src);
    s_host_t *h = s && period_ns ? s_host_find(self, s) : NULL;
    if (!h)
        return;
    if (!s->period)
        s_replace(self, h, s);
    s->period = period_ns;
    s_host_heard(self, h, s, recv_ns);
}

int pb_sources_tick(pb_sources_t *self, uint64_t now_ns)
{
    for (size_t i = 0; i < self->len; i++) {
        s_source_t *s = &self->items[i];
        if (s->period && now_ns > s->last_seen + self->down_after * s->period)
            s->down = true;
    }
    int went = 0;
    for (size_t i = 0; i < self->nhosts; i++) {
        s_host_t *h = &self->hosts[i];
        if (h->tracked && !h->down && now_ns > h->alive_until) {
            s_host_down(self, h);
            went++;
        }
    }
    return went;
}

uint64_t pb_sources_lost(const pb_sources_t *self)
{
    uint64_t lost = self->lost_forgotten;
    for (size_t i = 0; i < self->len; i++)
        lost += self->items[i].lost;
    return lost;
}

/* A source's state as of the last tick: its own when judged, else its host's. */
static const char *s_state(const pb_sources_t *self, const s_source_t *s)
{
    bool down = s->down;
    if (!s->period) {
        size_t h = s_host_index(self, s);
        if (h == SIZE_MAX || !self->hosts[h].tracked)
            return "untracked";
        down = self->hosts[h].down;
    }
    return !down ? "up" : s->replaced ? "replaced" : "down";
}

int pb_sources_each(const pb_sources_t *self, pb_sources_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->len; i++) {
        const s_source_t *s = &self->items[i];
        const char *state = s_state(self, s);
        pb_sources_entry_t e = {s->src,
                                s->host,
                                s->frames,
                                s->bytes,
                                s->lost,
                                s->last_seen,
                                strcmp(state, "untracked") != 0,
                                strcmp(state, "up") == 0};
        int rc = fn(&e, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int pb_sources_each_host(const pb_sources_t *self, pb_sources_host_fn *fn, void *arg)
{
    pb_sources_host_t e;
    for (size_t i = 0; i < self->nhosts; i++) {
        s_host_entry(&self->hosts[i], &e);
        int rc = fn(&e, arg);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- values ---- */

static pb_value_t *s_entry(const pb_sources_t *self, const s_source_t *s)
{
    pb_value_t *e = pb_value_map_new();
    int rc = e ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(e, "src", s->src);
    rc = rc ? rc : pb_value_map_put_str(e, "host", s->host);
    rc = rc ? rc : pb_value_map_put_uint(e, "frames", s->frames);
    rc = rc ? rc : pb_value_map_put_uint(e, "bytes", s->bytes);
    rc = rc ? rc : pb_value_map_put_uint(e, "lost", s->lost);
    rc = rc ? rc : pb_value_map_put_uint(e, "out_of_order", s->out_of_order);
    rc = rc ? rc : pb_value_map_put_uint(e, "first_seq", s->first_seq);
    rc = rc ? rc : pb_value_map_put_uint(e, "last_seq", s->last_seq);
    rc = rc ? rc : pb_value_map_put_uint(e, "first_seen_ns", s->first_seen);
    rc = rc ? rc : pb_value_map_put_uint(e, "last_seen_ns", s->last_seen);
    rc = rc ? rc : pb_value_map_put_str(e, "state", s_state(self, s));
    rc = rc ? rc : pb_value_map_put_float(e, "hb_period_s", (double)s->period / 1e9);
    if (rc < 0)
        pb_value_destroy(&e);
    return e;
}

pb_value_t *pb_sources_to_value(const pb_sources_t *self)
{
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < self->len; i++) {
        pb_value_t *e = s_entry(self, &self->items[i]);
        if (!e || pb_value_array_push(list, &e) < 0)
            pb_value_destroy(&list);
    }
    return list;
}

static pb_value_t *s_periods(const pb_sources_host_t *h)
{
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < h->nperiods; i++) {
        pb_value_t *p = pb_value_map_new();
        int rc = p ? pb_value_map_put_uint(p, "from_ns", h->periods[i].from_ns) : -ENOMEM;
        if (rc == 0 && h->periods[i].to_ns)
            rc = pb_value_map_put_uint(p, "to_ns", h->periods[i].to_ns);
        if (rc < 0 || pb_value_array_push(list, &p) < 0) {
            pb_value_destroy(&p);
            pb_value_destroy(&list);
        }
    }
    return list;
}

static int s_host_value(const pb_sources_host_t *h, void *arg)
{
    pb_value_t *e = pb_value_map_new(), *down = s_periods(h);
    const char *state = !h->tracked ? "untracked" : h->up ? "up" : "down";
    int rc = e && down ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(e, "host", h->host);
    rc = rc ? rc : pb_value_map_put_str(e, "state", state);
    rc = rc ? rc : pb_value_map_put_str(e, "src", h->src);
    rc = rc ? rc : pb_value_map_put_float(e, "hb_period_s", (double)h->heartbeat_ns / 1e9);
    rc = rc ? rc : pb_value_map_put_uint(e, "last_seen_ns", h->last_seen_ns);
    rc = rc ? rc : pb_value_map_put_uint(e, "down_total", h->down_total);
    rc = rc ? rc : pb_value_map_put(e, "down", &down);
    rc = rc ? rc : pb_value_array_push(arg, &e);
    pb_value_destroy(&e);
    pb_value_destroy(&down);
    return rc;
}

pb_value_t *pb_sources_hosts_value(const pb_sources_t *self)
{
    pb_value_t *list = pb_value_array_new();
    if (list && pb_sources_each_host(self, s_host_value, list) < 0)
        pb_value_destroy(&list);
    return list;
}
