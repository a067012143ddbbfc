/* pb_samples: walks one frame payload into Prometheus samples through pb_prom. */
#include "pb_samples.h"

#include "pb_catalog.h"
#include "pb_grow.h"
#include "pb_mpread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_INDEX 4  /* list nesting kept per leaf; the catalogue has one level */
#define S_NUM_TEXT  24 /* an integer attr as text */
#define S_MAX_INFOS 8  /* info maps (node_uname_info) in the catalogue */

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
    char *host;
    double clk_tck;
} s_clock_t;

struct pb_samples {
    s_stage_t numbers, attrs;
    s_clock_t *clocks; /* PB_SAMPLES_MAX_HOSTS slots */
    size_t nclocks;
    const pb_catalog_field_t *clock;              /* the sys frame's clk_tck */
    const pb_catalog_field_t *infos[S_MAX_INFOS]; /* top-level info maps */
    size_t ninfos;
};

static void s_find_infos(pb_samples_t *self)
{
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        if (pb_prom_is_info(f) && f->parent < 0 && self->ninfos < S_MAX_INFOS)
            self->infos[self->ninfos++] = f;
    }
}

pb_samples_t *pb_samples_new(void)
{
    pb_samples_t *self = calloc(1, sizeof *self);
    if (self)
        self->clocks = calloc(PB_SAMPLES_MAX_HOSTS, sizeof *self->clocks);
    if (self && !self->clocks)
        pb_samples_destroy(&self);
    if (self) {
        self->clock = pb_prom_clock_field();
        s_find_infos(self);
    }
    return self;
}

void pb_samples_destroy(pb_samples_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_samples_t *self = *self_p;
    for (size_t i = 0; i < self->nclocks; i++)
        free(self->clocks[i].host);
    free(self->clocks);
    free(self->numbers.items);
    free(self->attrs.items);
    free(self);
    *self_p = NULL;
}

/* ---- staging ---- */

static s_leaf_t *s_stage(s_stage_t *st, const pb_catalog_field_t *f, const pb_mpread_leaf_t *leaf)
{
    if (leaf->nindex > S_MAX_INDEX)
        return NULL;
    if (pb_grow((void **)&st->items, &st->cap, st->len, sizeof *st->items, 256) < 0)
        return NULL;
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
    pb_samples_t *self;
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
    else if (pb_prom_exported(f, w->frame) && s_number(&leaf->item, &v) == 0) {
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

/* ---- clocks ---- */

static s_clock_t *s_clock_of(pb_samples_t *self, const char *host)
{
    for (size_t i = 0; i < self->nclocks; i++)
        if (strcmp(self->clocks[i].host, host) == 0)
            return &self->clocks[i];
    return NULL;
}

/* A sys frame's clock (USER_HZ), remembered for the host's processes. */
static void s_note_clock(pb_samples_t *self, const char *host)
{
    for (size_t i = 0; i < self->attrs.len; i++) {
        const s_leaf_t *l = &self->attrs.items[i];
        if (l->field != self->clock || l->value <= 0)
            continue;
        s_clock_t *c = s_clock_of(self, host);
        if (!c && self->nclocks < PB_SAMPLES_MAX_HOSTS) {
            char *copy = strdup(host);
            c = copy ? &self->clocks[self->nclocks++] : NULL;
            if (c)
                c->host = copy;
        }
        if (c)
            c->clk_tck = l->value;
    }
}

/* The frame's info maps whose attrs all came: one gauge = 1 each. */
static int s_infos(const pb_samples_t *self, pb_catalog_frame_t frame, const char *host,
                   pb_samples_fn *fn, void *arg)
{
    s_leaf_t top = {0}; /* info maps are at the top level: their attrs have no index */
    s_sibling_arg_t sa = {&self->attrs, &top};
    int n = 0;
    for (size_t i = 0; i < self->ninfos; i++) {
        pb_prom_sample_t s;
        if (self->infos[i]->frame == frame &&
            pb_prom_sample(self->infos[i], 1, 0, host, s_sibling, &sa, &s) == 0) {
            fn(&s, arg);
            n++;
        }
    }
    return n;
}

int pb_samples_each(pb_samples_t *self, const char *host, bool sys, const void *payload, size_t len,
                    pb_samples_fn *fn, void *arg)
{
    s_walk_t w = {self, sys ? PB_FT_SYS : PB_FT_PROC};
    self->numbers.len = self->attrs.len = 0;
    if (pb_mpread_walk(payload, len, s_leaf, &w, NULL, 0) < 0)
        return -EBADMSG;
    if (sys)
        s_note_clock(self, host);
    const s_clock_t *c = s_clock_of(self, host);
    double clk = c ? c->clk_tck : 100;
    int n = 0;
    for (size_t i = 0; i < self->numbers.len; i++) {
        const s_leaf_t *leaf = &self->numbers.items[i];
        s_sibling_arg_t sa = {&self->attrs, leaf};
        pb_prom_sample_t s;
        if (pb_prom_sample(leaf->field, leaf->value, clk, host, s_sibling, &sa, &s) == 0) {
            fn(&s, arg);
            n++;
        }
    }
    return n + s_infos(self, w.frame, host, fn, arg);
}
