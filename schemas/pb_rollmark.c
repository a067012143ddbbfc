/* pb_rollmark: a segment's hb and prof frames, seq spans and hosts' stretches, for its rollups. */
#include "pb_rollmark.h"

#include "pb_bytes.h"
#include "pb_grow.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t recv_ns;
    unsigned char *payload;
    size_t len;
} s_kept_t;

typedef struct {
    char *src, *host; /* its host: the first frame's */
    uint64_t first, last, lost;
} s_src_t;

typedef struct {
    uint64_t from_ns, to_ns, period_ns;
} s_stretch_t;

typedef struct {
    char *name;
    uint64_t period_ns; /* of its last hb; 0: none yet */
    size_t first_hb;    /* kept index + 1 of its first hb, and of its last */
    size_t last_hb;
    s_stretch_t *at;
    size_t n, cap;
} s_host_t;

struct pb_rollmark {
    s_kept_t *kept;
    size_t nkept, capkept;
    s_src_t *srcs;
    size_t nsrcs, capsrcs;
    s_host_t *hosts;
    size_t nhosts, caphosts;
    size_t last_src, last_host; /* tried first: a sample's frames come together */
};

pb_rollmark_t *pb_rollmark_new(void)
{
    return calloc(1, sizeof(pb_rollmark_t));
}

void pb_rollmark_destroy(pb_rollmark_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_rollmark_t *self = *self_p;
    for (size_t i = 0; i < self->nkept; i++)
        free(self->kept[i].payload);
    for (size_t i = 0; i < self->nsrcs; i++) {
        free(self->srcs[i].src);
        free(self->srcs[i].host);
    }
    for (size_t i = 0; i < self->nhosts; i++) {
        free(self->hosts[i].name);
        free(self->hosts[i].at);
    }
    free(self->kept);
    free(self->srcs);
    free(self->hosts);
    free(self);
    *self_p = NULL;
}

/* ---- adding ---- */

/* Keeps a copy of the record at kept index *slot (a new one when 0), as slot + 1. */
static int s_keep(pb_rollmark_t *self, size_t *slot, uint64_t recv_ns, const void *payload,
                  size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, payload, len);
    if (*slot) {
        free(self->kept[*slot - 1].payload);
        self->kept[*slot - 1] = (s_kept_t){recv_ns, copy, len};
        return 0;
    }
    if (pb_grow((void **)&self->kept, &self->capkept, self->nkept, sizeof *self->kept, 16) < 0) {
        free(copy);
        return -ENOMEM;
    }
    self->kept[self->nkept++] = (s_kept_t){recv_ns, copy, len};
    *slot = self->nkept;
    return 0;
}

static s_src_t *s_src(pb_rollmark_t *self, const char *src, const char *host, uint64_t seq)
{
    size_t i = pb_grow_find_name(self->srcs, self->nsrcs, sizeof *self->srcs,
                                 offsetof(s_src_t, src), src, &self->last_src);
    if (i < self->nsrcs)
        return &self->srcs[i];
    if (pb_grow((void **)&self->srcs, &self->capsrcs, self->nsrcs, sizeof *self->srcs, 4) < 0)
        return NULL;
    s_src_t *s = &self->srcs[self->nsrcs];
    *s = (s_src_t){strdup(src), strdup(host), seq, seq, 0};
    if (!s->src || !s->host) {
        free(s->src);
        free(s->host);
        return NULL;
    }
    self->last_src = self->nsrcs++;
    return s;
}

/* The seq rule of perfbus-report's model: a seq more than one past the last skipped the
 * ones between; any other is taken as it comes (a restart goes back). */
static int s_note_seq(pb_rollmark_t *self, const char *src, const char *host, uint64_t seq)
{
    s_src_t *s = s_src(self, src, host, seq);
    if (!s)
        return -ENOMEM;
    if (seq > s->last + 1)
        s->lost += seq - s->last - 1;
    s->last = seq;
    return 0;
}

static s_host_t *s_host(pb_rollmark_t *self, const char *name)
{
    size_t i = pb_grow_find_name(self->hosts, self->nhosts, sizeof *self->hosts,
                                 offsetof(s_host_t, name), name, &self->last_host);
    if (i < self->nhosts)
        return &self->hosts[i];
    if (pb_grow((void **)&self->hosts, &self->caphosts, self->nhosts, sizeof *self->hosts, 4) < 0)
        return NULL;
    s_host_t *h = &self->hosts[self->nhosts];
    *h = (s_host_t){.name = strdup(name)};
    if (!h->name)
        return NULL;
    self->last_host = self->nhosts++;
    return h;
}

/* Extends the host's last stretch to recv_ns, or starts one after a silence of more than
 * 1.5 heartbeat periods (1 s before any hb). */
static int s_note_recv(s_host_t *h, uint64_t recv_ns)
{
    uint64_t period = h->period_ns ? h->period_ns : 1000000000u;
    s_stretch_t *last = h->n ? &h->at[h->n - 1] : NULL;
    if (last && (recv_ns <= last->to_ns + period + period / 2 || h->n == PB_ROLLMARK_MAX_STRETCH)) {
        if (recv_ns > last->to_ns)
            last->to_ns = recv_ns;
        last->period_ns = h->period_ns;
        return 0;
    }
    if (pb_grow((void **)&h->at, &h->cap, h->n, sizeof *h->at, 8) < 0)
        return -ENOMEM;
    h->at[h->n++] = (s_stretch_t){recv_ns, recv_ns, h->period_ns};
    return 0;
}

int pb_rollmark_add(pb_rollmark_t *self, uint64_t recv_ns, const pb_frame_view_t *v,
                    const void *payload, size_t len)
{
    const char *host = v->env.host ? v->env.host : "";
    s_host_t *h = s_host(self, host);
    if (!h || s_note_seq(self, v->env.src ? v->env.src : "", host, v->env.seq) < 0)
        return -ENOMEM;
    if (v->type == PB_FT_HB) {
        h->period_ns = pb_frame_view_heartbeat_ns(v);
        size_t *slot = h->first_hb ? &h->last_hb : &h->first_hb;
        if (s_keep(self, slot, recv_ns, payload, len) < 0)
            return -ENOMEM;
    } else if (v->type == PB_FT_PROF) {
        size_t slot = 0;
        if (s_keep(self, &slot, recv_ns, payload, len) < 0)
            return -ENOMEM;
    }
    return s_note_recv(h, recv_ns);
}

/* ---- the section ---- */

static int s_by_recv(const void *a, const void *b)
{
    uint64_t x = ((const s_kept_t *)a)->recv_ns, y = ((const s_kept_t *)b)->recv_ns;
    return (x > y) - (x < y);
}

int pb_rollmark_bytes(const pb_rollmark_t *self, unsigned char **out_p, size_t *len)
{
    pb_wbuf_t o = {0};
    s_kept_t *kept = malloc((self->nkept ? self->nkept : 1) * sizeof *kept);
    if (!kept)
        return -ENOMEM;
    if (self->nkept) /* a last hb was kept in place: sorted by recv_ns here */
        memcpy(kept, self->kept, self->nkept * sizeof *kept);
    qsort(kept, self->nkept, sizeof *kept, s_by_recv);
    pb_wbuf_le(&o, self->nkept, 4);
    for (size_t i = 0; i < self->nkept; i++) {
        pb_wbuf_le(&o, kept[i].recv_ns, 8);
        pb_wbuf_le(&o, kept[i].len, 4);
        pb_wbuf_put(&o, kept[i].payload, kept[i].len);
    }
    free(kept);
    pb_wbuf_le(&o, self->nsrcs, 4);
    for (size_t i = 0; i < self->nsrcs; i++) {
        pb_wbuf_str16(&o, self->srcs[i].src);
        pb_wbuf_str16(&o, self->srcs[i].host);
        pb_wbuf_le(&o, self->srcs[i].first, 8);
        pb_wbuf_le(&o, self->srcs[i].last, 8);
        pb_wbuf_le(&o, self->srcs[i].lost, 8);
    }
    pb_wbuf_le(&o, self->nhosts, 4);
    for (size_t i = 0; i < self->nhosts; i++) {
        const s_host_t *h = &self->hosts[i];
        pb_wbuf_str16(&o, h->name);
        pb_wbuf_le(&o, h->n, 4);
        for (size_t k = 0; k < h->n; k++) {
            pb_wbuf_le(&o, h->at[k].from_ns, 8);
            pb_wbuf_le(&o, h->at[k].to_ns, 8);
            pb_wbuf_le(&o, h->at[k].period_ns, 8);
        }
    }
    if (o.failed) {
        free(o.p);
        return -ENOMEM;
    }
    *out_p = o.p;
    *len = o.len;
    return 0;
}

/* ---- parsing ---- */

/* A u16-prefixed string into out (at most 255 bytes: a longer one is damage). */
static void s_get_str(pb_rcur_t *c, char out[256])
{
    uint64_t n = pb_rcur_le(c, 2);
    const unsigned char *s = n < 256 ? pb_rcur_take(c, n) : NULL;
    if (!s)
        c->bad = 1;
    memcpy(out, s ? (const char *)s : "", s ? (size_t)n : 1);
    out[s ? n : 0] = '\0';
}

static int s_parse_kept(pb_rcur_t *c, const pb_rollmark_fns_t *fns, void *arg)
{
    uint64_t n = pb_rcur_le(c, 4);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        uint64_t recv = pb_rcur_le(c, 8), len = pb_rcur_le(c, 4);
        const unsigned char *payload = pb_rcur_take(c, len);
        int rc = payload && fns->record ? fns->record(recv, payload, (size_t)len, arg) : 0;
        if (rc < 0)
            return rc;
    }
    return c->bad ? -EBADMSG : 0;
}

static int s_parse_srcs(pb_rcur_t *c, const pb_rollmark_fns_t *fns, void *arg)
{
    uint64_t n = pb_rcur_le(c, 4);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        char src[256], host[256];
        s_get_str(c, src);
        s_get_str(c, host);
        uint64_t first = pb_rcur_le(c, 8), last = pb_rcur_le(c, 8), lost = pb_rcur_le(c, 8);
        int rc = !c->bad && fns->seq ? fns->seq(src, host, first, last, lost, arg) : 0;
        if (rc < 0)
            return rc;
    }
    return c->bad ? -EBADMSG : 0;
}

static int s_parse_hosts(pb_rcur_t *c, const pb_rollmark_fns_t *fns, void *arg)
{
    uint64_t n = pb_rcur_le(c, 4);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        char host[256];
        s_get_str(c, host);
        uint64_t k = pb_rcur_le(c, 4), prev = 0;
        for (uint64_t j = 0; j < k && !c->bad; j++) {
            uint64_t from = pb_rcur_le(c, 8), to = pb_rcur_le(c, 8), period = pb_rcur_le(c, 8);
            if (from > to || from < prev)
                c->bad = 1;
            prev = to;
            int rc = !c->bad && fns->stretch ? fns->stretch(host, from, to, period, arg) : 0;
            if (rc < 0)
                return rc;
        }
    }
    return c->bad ? -EBADMSG : 0;
}

int pb_rollmark_parse(const void *raw, size_t len, const pb_rollmark_fns_t *fns, void *arg)
{
    pb_rcur_t c = {raw, len, 0, 0};
    int rc = s_parse_kept(&c, fns, arg);
    rc = rc ? rc : s_parse_srcs(&c, fns, arg);
    rc = rc ? rc : s_parse_hosts(&c, fns, arg);
    return rc == 0 && c.pos != c.len ? -EBADMSG : rc;
}
