/* pb_metrics: renders /metrics from the latest payload of every series, through pb_prom. */
#include "pb_metrics.h"

#include "pb_catalog.h"
#include "pb_mpread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_INDEX 4    /* list nesting kept per leaf; the catalogue has one level */
#define S_MAX_HOSTS 1024 /* hosts whose clk_tck is remembered within one render */
#define S_NUM_TEXT  24   /* an integer attr as text */
#define S_MAX_INFOS 8    /* info maps (node_uname_info) in the catalogue */

/* A leaf staged until the whole frame is walked: its label siblings may come after it. */
typedef struct {
    const pb_catalog_field_t *field;
    uint32_t index[S_MAX_INDEX];
    unsigned nindex;
    double value;     /* numbers */
    const char *text; /* attrs: into the payload, or into num */
    size_t len;
    char num[S_NUM_TEXT];
} s_leaf_t;

typedef struct {
    s_leaf_t *items;
    size_t len, cap;
} s_stage_t;

typedef struct {
    const char *host;
    double clk_tck;
} s_clock_t;

struct pb_metrics {
    int16_t family[PB_CATALOG_MAX]; /* by field index: its family, -1 when not exported */
    const pb_catalog_field_t *first[PB_CATALOG_MAX]; /* by family: its first field */
    size_t nfamilies;
    pb_prom_out_t lines[PB_CATALOG_MAX]; /* by family: this render's samples */
    pb_prom_out_t out;
    s_stage_t numbers, attrs;
    s_clock_t clocks[S_MAX_HOSTS];
    size_t nclocks;
    uint64_t skipped;
    pb_prom_format_t format;
    const pb_catalog_field_t *clock;              /* the sys frame's clk_tck */
    const pb_catalog_field_t *infos[S_MAX_INFOS]; /* top-level info maps */
    size_t ninfos;
};

/* Fields sharing a Prometheus name are one family (cpu modes, process cpu). */
static void s_index_families(pb_metrics_t *self)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        self->family[i] = -1;
        if (!f->prom[0])
            continue;
        for (size_t k = 0; k < self->nfamilies && self->family[i] < 0; k++)
            if (strcmp(self->first[k]->prom, f->prom) == 0)
                self->family[i] = (int16_t)k;
        if (self->family[i] < 0) {
            self->first[self->nfamilies] = f;
            self->family[i] = (int16_t)self->nfamilies++;
        }
        if (pb_prom_is_info(f) && f->parent < 0 && self->ninfos < S_MAX_INFOS)
            self->infos[self->ninfos++] = f;
    }
}

pb_metrics_t *pb_metrics_new(void)
{
    pb_metrics_t *self = calloc(1, sizeof *self);
    if (self)
        s_index_families(self);
    if (self)
        self->clock = pb_prom_clock_field();
    return self;
}

void pb_metrics_destroy(pb_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_metrics_t *self = *self_p;
    for (size_t i = 0; i < self->nfamilies; i++)
        pb_prom_out_free(&self->lines[i]);
    pb_prom_out_free(&self->out);
    free(self->numbers.items);
    free(self->attrs.items);
    free(self);
    *self_p = NULL;
}

uint64_t pb_metrics_skipped(const pb_metrics_t *self)
{
    return self->skipped;
}

/* ---- one payload ---- */

static s_leaf_t *s_stage(s_stage_t *st, const pb_catalog_field_t *f, const pb_mpread_leaf_t *leaf)
{
    if (leaf->nindex > S_MAX_INDEX)
        return NULL;
    if (st->len == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        s_leaf_t *items = realloc(st->items, cap * sizeof *items);
        if (!items)
            return NULL;
        st->items = items;
        st->cap = cap;
    }
    s_leaf_t *l = &st->items[st->len++];
    l->field = f;
    l->nindex = leaf->nindex;
    memcpy(l->index, leaf->index, leaf->nindex * sizeof *leaf->index);
    return l;
}

static int s_number(const pb_mpread_item_t *item, double *out)
{
    if (item->type == PB_UINT)
        *out = (double)item->u;
    else if (item->type == PB_INT)
        *out = (double)item->i;
    else if (item->type == PB_FLOAT)
        *out = item->f;
    else
        return -EINVAL;
    return 0;
}

/* An attr as label text: a str as it is, an integer in decimal; others are not labels. */
static void s_stage_attr(s_stage_t *st, const pb_catalog_field_t *f, const pb_mpread_leaf_t *leaf)
{
    const pb_mpread_item_t *it = &leaf->item;
    if (it->type != PB_STR && it->type != PB_UINT && it->type != PB_INT)
        return;
    s_leaf_t *l = s_stage(st, f, leaf);
    if (!l)
        return;
    l->text = it->data;
    l->len = it->len;
    l->value = it->type == PB_UINT ? (double)it->u : (double)it->i;
    if (it->type == PB_UINT)
        l->len = (size_t)snprintf(l->num, sizeof l->num, "%" PRIu64, it->u);
    else if (it->type == PB_INT)
        l->len = (size_t)snprintf(l->num, sizeof l->num, "%" PRId64, it->i);
    if (it->type != PB_STR)
        l->text = l->num;
}

typedef struct {
    pb_metrics_t *self;
    pb_catalog_frame_t frame;
} s_walk_t;

static int s_leaf(const pb_mpread_leaf_t *leaf, void *arg)
{
    s_walk_t *w = arg;
    const pb_catalog_field_t *f = pb_catalog_find(w->frame, leaf->path);
    double v = 0;
    if (!f)
        return 0;
    if (f->kind == PB_KIND_ATTR)
        s_stage_attr(&w->self->attrs, f, leaf);
    else if (w->self->family[f->index] >= 0 && pb_prom_exported(f, w->frame) &&
             s_number(&leaf->item, &v) == 0) {
        s_leaf_t *l = s_stage(&w->self->numbers, f, leaf);
        if (l)
            l->value = v;
    }
    return 0;
}

/* The sibling of the sample being named: the attr of that field in the same item. */
typedef struct {
    const s_stage_t *attrs;
    const s_leaf_t *sample;
} s_sibling_arg_t;

static int s_sibling(const pb_catalog_field_t *sib, const char **text, size_t *len, void *arg)
{
    const s_sibling_arg_t *a = arg;
    for (size_t i = 0; i < a->attrs->len; i++) {
        const s_leaf_t *l = &a->attrs->items[i];
        if (l->field == sib && l->nindex == a->sample->nindex &&
            memcmp(l->index, a->sample->index, l->nindex * sizeof *l->index) == 0) {
            *text = l->text;
            *len = l->len;
            return 0;
        }
    }
    return -ENOENT;
}

static double s_clock(const pb_metrics_t *self, const char *host)
{
    for (size_t i = 0; i < self->nclocks; i++)
        if (strcmp(self->clocks[i].host, host) == 0)
            return self->clocks[i].clk_tck;
    return 100;
}

/* A sys frame's clock (USER_HZ), remembered for the host's processes. */
static void s_note_clock(pb_metrics_t *self, const char *host)
{
    for (size_t i = 0; i < self->attrs.len; i++) {
        const s_leaf_t *l = &self->attrs.items[i];
        if (l->field == self->clock && l->value > 0 && self->nclocks < S_MAX_HOSTS)
            self->clocks[self->nclocks++] = (s_clock_t){host, l->value};
    }
}

/* The frame's info maps whose attrs all came: one gauge = 1 each. */
static void s_write_infos(pb_metrics_t *self, pb_catalog_frame_t frame, const char *host)
{
    s_leaf_t top = {0}; /* info maps are at the top level: their attrs have no index */
    s_sibling_arg_t sa = {&self->attrs, &top};
    for (size_t i = 0; i < self->ninfos; i++) {
        pb_prom_sample_t s;
        if (self->infos[i]->frame == frame &&
            pb_prom_sample(self->infos[i], 1, 0, host, s_sibling, &sa, &s) == 0)
            pb_prom_write_sample(&self->lines[self->family[self->infos[i]->index]], &s,
                                 self->format);
    }
}

static int s_payload(const char *host, int64_t pid, const void *payload, size_t len, void *arg)
{
    pb_metrics_t *self = arg;
    s_walk_t w = {self, pid < 0 ? PB_FT_SYS : PB_FT_PROC};
    self->numbers.len = self->attrs.len = 0;
    if (pb_mpread_walk(payload, len, s_leaf, &w, NULL, 0) < 0) {
        self->skipped++;
        return 0;
    }
    if (pid < 0)
        s_note_clock(self, host);
    double clk = s_clock(self, host);
    for (size_t i = 0; i < self->numbers.len; i++) {
        const s_leaf_t *n = &self->numbers.items[i];
        s_sibling_arg_t sa = {&self->attrs, n};
        pb_prom_sample_t s;
        if (pb_prom_sample(n->field, n->value, clk, host, s_sibling, &sa, &s) == 0)
            pb_prom_write_sample(&self->lines[self->family[n->field->index]], &s, self->format);
    }
    s_write_infos(self, w.frame, host);
    return 0;
}

/* ---- perfbus-sub's own families ---- */

enum { S_FRAMES, S_BYTES, S_LOST, S_DECODE, S_UP, S_LAST_SEEN, S_NSELF };

static const struct {
    const char *name;
    pb_prom_type_t type;
    const char *help;
} s_self[S_NSELF] = {
    {"perfbus_sub_frames_total", PB_PROM_COUNTER, "[topic][payload] messages received"},
    {"perfbus_sub_bytes_total", PB_PROM_COUNTER, "payload bytes received"},
    {"perfbus_sub_lost_total", PB_PROM_COUNTER, "frames lost (seq gaps), over all publishers"},
    {"perfbus_sub_decode_errors_total", PB_PROM_COUNTER, "payloads that were not msgpack"},
    {"perfbus_sub_up", PB_PROM_GAUGE, "1 while the publisher (src) was heard from lately, else 0"},
    {"perfbus_sub_last_seen_timestamp_seconds", PB_PROM_GAUGE,
     "when the publisher (src) was last heard from, seconds since the Unix epoch"},
};

static void s_self_family(pb_metrics_t *self, int which, const pb_prom_label_t *labels,
                          size_t nlabels, double value)
{
    char family[64];
    snprintf(family, sizeof family, "%s", s_self[which].name);
    size_t n = strlen(family);
    if (self->format == PB_PROM_OPENMETRICS && s_self[which].type == PB_PROM_COUNTER)
        family[n - 6] = '\0'; /* every counter above ends in _total */
    pb_prom_write_header(&self->out, family, s_self[which].type, s_self[which].help, self->format);
    pb_prom_write_line(&self->out, s_self[which].name, s_self[which].type, labels, nlabels, value,
                       self->format);
}

typedef struct {
    pb_metrics_t *self;
    const pb_metrics_input_t *in;
    const char *host;
    int which;
    bool any;
} s_pub_arg_t;

static int s_publisher(const pb_sources_entry_t *e, void *arg)
{
    s_pub_arg_t *a = arg;
    if (a->host && strcmp(a->host, e->host) != 0)
        return 0;
    pb_prom_label_t labels[2] = {{"host", e->host, 4, strlen(e->host)},
                                 {"src", e->src, 3, strlen(e->src)}};
    const pb_metrics_input_t *in = a->in;
    bool up = in->now_ns >= e->last_seen_ns ? in->now_ns - e->last_seen_ns <= in->up_ns : true;
    double v = a->which == S_UP ? (double)up : (double)e->last_seen_ns / 1e9;
    if (!a->any)
        s_self_family(a->self, a->which, labels, 2, v);
    else
        pb_prom_write_line(&a->self->out, s_self[a->which].name, s_self[a->which].type, labels, 2,
                           v, a->self->format);
    a->any = true;
    return 0;
}

static void s_write_self(pb_metrics_t *self, const pb_metrics_input_t *in, const char *host)
{
    if (!host) {
        const char *me = in->self_host ? in->self_host : "";
        pb_prom_label_t l = {"host", me, 4, strlen(me)};
        s_self_family(self, S_FRAMES, &l, 1, (double)in->frames);
        s_self_family(self, S_BYTES, &l, 1, (double)in->bytes);
        s_self_family(self, S_LOST, &l, 1, (double)in->lost);
        s_self_family(self, S_DECODE, &l, 1, (double)in->decode_errors);
    }
    for (int which = S_UP; which <= S_LAST_SEEN && in->sources; which++) {
        s_pub_arg_t a = {self, in, host, which, false};
        pb_sources_each(in->sources, s_publisher, &a);
    }
}

/* ---- the whole text ---- */

typedef struct {
    const char *host;
    bool found;
} s_host_arg_t;

static int s_host_heard(const pb_sources_entry_t *e, void *arg)
{
    s_host_arg_t *a = arg;
    a->found = a->found || strcmp(e->host, a->host) == 0;
    return 0;
}

static bool s_known(const pb_metrics_input_t *in, const char *host)
{
    s_host_arg_t a = {host, pb_history_has_host(in->history, host)};
    if (!a.found && in->sources)
        pb_sources_each(in->sources, s_host_heard, &a);
    return a.found;
}

int pb_metrics_render(pb_metrics_t *self, const pb_metrics_input_t *in, const char *host,
                      pb_prom_format_t format, const char **text_p, size_t *len_p)
{
    if (host && !s_known(in, host))
        return -ENOENT;
    self->format = format;
    self->nclocks = 0;
    pb_prom_out_reset(&self->out);
    for (size_t k = 0; k < self->nfamilies; k++)
        pb_prom_out_reset(&self->lines[k]);
    pb_history_each_latest(in->history, host, s_payload, self);
    bool failed = false;
    for (size_t k = 0; k < self->nfamilies; k++) {
        failed = failed || self->lines[k].failed;
        if (self->lines[k].len == 0)
            continue;
        pb_prom_write_family(&self->out, self->first[k], format);
        pb_prom_out_append(&self->out, self->lines[k].data, self->lines[k].len);
    }
    s_write_self(self, in, host);
    pb_prom_write_end(&self->out, format);
    if (failed || self->out.failed)
        return -ENOMEM;
    *text_p = self->out.data ? self->out.data : "";
    *len_p = self->out.len;
    return 0;
}
