/* pb_sources: per-publisher frame counters and sequence-gap (loss) detection. */
#include "pb_sources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *src, *host;
    uint64_t frames, bytes, lost, out_of_order;
    uint64_t first_seq, last_seq;
    uint64_t first_seen, last_seen; /* local clock */
} s_source_t;

struct pb_sources {
    s_source_t items[PB_SOURCES_MAX];
    size_t len;
    uint64_t lost_forgotten;
};

pb_sources_t *pb_sources_new(void)
{
    return calloc(1, sizeof(pb_sources_t));
}

static void s_forget(pb_sources_t *self, size_t i)
{
    self->lost_forgotten += self->items[i].lost;
    free(self->items[i].src);
    free(self->items[i].host);
    self->items[i] = self->items[--self->len];
}

void pb_sources_destroy(pb_sources_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sources_t *self = *self_p;
    while (self->len > 0)
        s_forget(self, self->len - 1);
    free(self);
    *self_p = NULL;
}

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
    self->len++;
    return s;
}

int64_t pb_sources_note(pb_sources_t *self, const pb_envelope_t *env, size_t bytes,
                        uint64_t recv_ns)
{
    s_source_t *s = NULL;
    for (size_t i = 0; i < self->len && !s; i++)
        if (strcmp(self->items[i].src, env->src) == 0)
            s = &self->items[i];
    int64_t lost = 0;
    if (!s && !(s = s_add(self, env, recv_ns)))
        return -ENOMEM;
    else if (s->frames > 0 && env->seq > s->last_seq + 1)
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

uint64_t pb_sources_lost(const pb_sources_t *self)
{
    uint64_t lost = self->lost_forgotten;
    for (size_t i = 0; i < self->len; i++)
        lost += self->items[i].lost;
    return lost;
}

int pb_sources_each(const pb_sources_t *self, pb_sources_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->len; i++) {
        const s_source_t *s = &self->items[i];
        pb_sources_entry_t e = {s->src, s->host, s->frames, s->bytes, s->lost, s->last_seen};
        int rc = fn(&e, arg);
        if (rc)
            return rc;
    }
    return 0;
}

static pb_value_t *s_entry(const s_source_t *s)
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
    if (rc < 0)
        pb_value_destroy(&e);
    return e;
}

pb_value_t *pb_sources_to_value(const pb_sources_t *self)
{
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < self->len; i++) {
        pb_value_t *e = s_entry(&self->items[i]);
        if (!e || pb_value_array_push(list, &e) < 0)
            pb_value_destroy(&list);
    }
    return list;
}
