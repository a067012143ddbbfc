/* pb_metrics: renders /metrics from the latest payload of every series, through pb_prom. */
#include "pb_metrics.h"

#include "pb_catalog.h"
#include "pb_samples.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pb_metrics {
    int16_t family[PB_CATALOG_MAX]; /* by field index: its family, -1 when not exported */
    const pb_catalog_field_t *first[PB_CATALOG_MAX]; /* by family: its first field */
    size_t nfamilies;
    pb_prom_out_t lines[PB_CATALOG_MAX]; /* by family: this render's samples */
    pb_prom_out_t out;
    pb_samples_t *samples;
    uint64_t skipped;
    pb_prom_format_t format;
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
    }
}

pb_metrics_t *pb_metrics_new(void)
{
    pb_metrics_t *self = calloc(1, sizeof *self);
    if (self)
        s_index_families(self);
    if (self)
        self->samples = pb_samples_new();
    if (self && !self->samples)
        pb_metrics_destroy(&self);
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
    pb_samples_destroy(&self->samples);
    free(self);
    *self_p = NULL;
}

uint64_t pb_metrics_skipped(const pb_metrics_t *self)
{
    return self->skipped;
}

/* ---- one payload ---- */

static void s_sample(const pb_prom_sample_t *s, void *arg)
{
    pb_metrics_t *self = arg;
    pb_prom_write_sample(&self->lines[self->family[s->field->index]], s, self->format);
}

static int s_payload(const char *host, int64_t pid, const void *payload, size_t len, void *arg)
{
    pb_metrics_t *self = arg;
    if (pb_samples_each(self->samples, host, pid < 0, payload, len, s_sample, self) < 0)
        self->skipped++;
    return 0;
}

/* ---- perfbus-sub's own families ---- */

enum { S_FRAMES, S_BYTES, S_LOST, S_DECODE, S_UP, S_LAST_SEEN, S_HOST_UP, S_HOST_DOWN, S_NSELF };

static const struct {
    const char *name;
    pb_prom_type_t type;
    const char *help;
} s_self[S_NSELF] = {
    {"perfbus_sub_frames_total", PB_PROM_COUNTER, "[topic][payload] messages received"},
    {"perfbus_sub_bytes_total", PB_PROM_COUNTER, "payload bytes received"},
    {"perfbus_sub_lost_total", PB_PROM_COUNTER, "frames lost (seq gaps), over all publishers"},
    {"perfbus_sub_decode_errors_total", PB_PROM_COUNTER, "payloads that were not msgpack"},
    {"perfbus_sub_up", PB_PROM_GAUGE,
     "1 while the publisher (src) is up, 0 once it missed --down-after heartbeats"},
    {"perfbus_sub_last_seen_timestamp_seconds", PB_PROM_GAUGE,
     "when the publisher (src) was last heard from, seconds since the Unix epoch"},
    {"perfbus_sub_host_up", PB_PROM_GAUGE,
     "1 while one of the host's publishers is up, 0 once all missed --down-after heartbeats"},
    {"perfbus_sub_host_down_total", PB_PROM_COUNTER, "times the host was marked down"},
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

/* One sample of family a->which, its header first. */
static void s_self_sample(s_pub_arg_t *a, const pb_prom_label_t *labels, size_t n, double v)
{
    if (!a->any)
        s_self_family(a->self, a->which, labels, n, v);
    else
        pb_prom_write_line(&a->self->out, s_self[a->which].name, s_self[a->which].type, labels, n,
                           v, a->self->format);
    a->any = true;
}

static int s_publisher(const pb_sources_entry_t *e, void *arg)
{
    s_pub_arg_t *a = arg;
    if ((a->host && strcmp(a->host, e->host) != 0) || (a->which == S_UP && !e->tracked))
        return 0;
    pb_prom_label_t labels[2] = {{"host", e->host, 4, strlen(e->host)},
                                 {"src", e->src, 3, strlen(e->src)}};
    s_self_sample(a, labels, 2, a->which == S_UP ? (double)e->up : (double)e->last_seen_ns / 1e9);
    return 0;
}

/* perfbus_sub_host_{up,down_total}: the state stats and health show (pb_sources). */
static int s_host(const pb_sources_host_t *h, void *arg)
{
    s_pub_arg_t *a = arg;
    if ((a->host && strcmp(a->host, h->host) != 0) || !h->tracked)
        return 0;
    pb_prom_label_t label = {"host", h->host, 4, strlen(h->host)};
    s_self_sample(a, &label, 1, a->which == S_HOST_UP ? (double)h->up : (double)h->down_total);
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
    for (int which = S_UP; which <= S_HOST_DOWN && in->sources; which++) {
        s_pub_arg_t a = {self, in, host, which, false};
        if (which <= S_LAST_SEEN)
            pb_sources_each(in->sources, s_publisher, &a);
        else
            pb_sources_each_host(in->sources, s_host, &a);
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
