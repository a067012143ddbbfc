/* pb_outage: down periods per host, from receive-time gaps longer than down_after heartbeats. */
#include "pb_outage.h"

#include "pb_grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *name;
    uint64_t period, last_recv; /* last_recv 0: none yet in this run */
    size_t count;
    pb_outage_period_t *periods; /* PB_OUTAGE_MAX, allocated at the first */
} s_host_t;

struct pb_outage {
    s_host_t *hosts;
    size_t nhosts, cap;
    unsigned down_after;
};

pb_outage_t *pb_outage_new(void)
{
    pb_outage_t *self = calloc(1, sizeof *self);
    if (self)
        self->down_after = 3;
    return self;
}

void pb_outage_destroy(pb_outage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_outage_t *self = *self_p;
    for (size_t i = 0; i < self->nhosts; i++) {
        free(self->hosts[i].name);
        free(self->hosts[i].periods);
    }
    free(self->hosts);
    free(self);
    *self_p = NULL;
}

void pb_outage_set_down_after(pb_outage_t *self, unsigned n)
{
    self->down_after = n ? n : 3;
}

unsigned pb_outage_down_after(const pb_outage_t *self)
{
    return self->down_after;
}

static const s_host_t *s_find(const pb_outage_t *self, const char *name)
{
    for (size_t i = 0; i < self->nhosts; i++)
        if (strcmp(self->hosts[i].name, name) == 0)
            return &self->hosts[i];
    return NULL;
}

static s_host_t *s_get(pb_outage_t *self, const char *name)
{
    s_host_t *h = (s_host_t *)s_find(self, name);
    if (h)
        return h;
    if (pb_grow((void **)&self->hosts, &self->cap, self->nhosts, sizeof *self->hosts, 8) < 0)
        return NULL;
    h = &self->hosts[self->nhosts];
    memset(h, 0, sizeof *h);
    if (!(h->name = strdup(name)))
        return NULL;
    self->nhosts++;
    return h;
}

static int s_add(s_host_t *h, uint64_t from, uint64_t to, bool until_end)
{
    if (!h->periods && !(h->periods = calloc(PB_OUTAGE_MAX, sizeof *h->periods)))
        return -ENOMEM;
    if (h->count < PB_OUTAGE_MAX)
        h->periods[h->count] = (pb_outage_period_t){from, to, until_end};
    h->count++;
    return 0;
}

/* Silent for longer than down_after periods between last_recv and t. */
static bool s_silent(const pb_outage_t *self, const s_host_t *h, uint64_t t)
{
    return h->period && h->last_recv && t > h->last_recv &&
           t - h->last_recv > (uint64_t)self->down_after * h->period;
}

int pb_outage_note(pb_outage_t *self, const char *host, uint64_t recv_ns, uint64_t period_ns)
{
    s_host_t *h = s_get(self, host);
    if (!h)
        return -ENOMEM;
    int rc = s_silent(self, h, recv_ns) ? s_add(h, h->last_recv, recv_ns, false) : 0;
    if (period_ns)
        h->period = period_ns;
    if (recv_ns > h->last_recv)
        h->last_recv = recv_ns;
    return rc;
}

int pb_outage_skip(pb_outage_t *self, const char *host, uint64_t from_ns, uint64_t to_ns,
                   uint64_t period_ns)
{
    int rc = pb_outage_note(self, host, from_ns, period_ns);
    s_host_t *h = rc < 0 ? NULL : s_get(self, host);
    if (h && to_ns > h->last_recv)
        h->last_recv = to_ns;
    return rc;
}

int pb_outage_end_run(pb_outage_t *self, uint64_t end_ns)
{
    int rc = 0;
    for (size_t i = 0; i < self->nhosts; i++) {
        s_host_t *h = &self->hosts[i];
        if (rc == 0 && s_silent(self, h, end_ns))
            rc = s_add(h, h->last_recv, end_ns, true);
        h->last_recv = 0;
    }
    return rc;
}

bool pb_outage_host(const pb_outage_t *self, const char *host, pb_outage_host_t *out)
{
    const s_host_t *h = s_find(self, host);
    memset(out, 0, sizeof *out);
    if (!h)
        return false;
    out->tracked = h->period != 0;
    out->heartbeat_ns = h->period;
    out->count = h->count;
    out->kept = h->count < PB_OUTAGE_MAX ? h->count : PB_OUTAGE_MAX;
    for (size_t i = 0; i < out->kept; i++)
        out->down_s += (double)(h->periods[i].to_ns - h->periods[i].from_ns) / 1e9;
    return true;
}

int pb_outage_period(const pb_outage_t *self, const char *host, size_t i, pb_outage_period_t *out)
{
    const s_host_t *h = s_find(self, host);
    if (!h || i >= h->count || i >= PB_OUTAGE_MAX)
        return -ENOENT;
    *out = h->periods[i];
    return 0;
}

/* "2026-12-01 14:02:11.204" (UTC, as the report's charts), or only the time of day. */
static void s_when(char *buf, size_t size, uint64_t ns, bool date)
{
    time_t secs = (time_t)(ns / 1000000000u);
    struct tm tm;
    char whole[32] = "?";
    if (gmtime_r(&secs, &tm))
        strftime(whole, sizeof whole, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03u", whole, (unsigned)(ns / 1000000u % 1000u));
}

static void s_period_line(char *line, const pb_outage_period_t *p)
{
    char from[40], to[40];
    s_when(from, sizeof from, p->from_ns, true);
    s_when(to, sizeof to, p->to_ns, false);
    snprintf(line, PB_OUTAGE_LINE, "down %s to %s UTC (%.1f s)%s", from, to,
             (double)(p->to_ns - p->from_ns) / 1e9,
             p->until_end ? ", until the end of the run" : "");
}

size_t pb_outage_lines(const pb_outage_t *self, const char *host, char (*lines)[PB_OUTAGE_LINE],
                       size_t max)
{
    pb_outage_host_t h;
    if (max == 0 || !pb_outage_host(self, host, &h) || !h.tracked)
        return 0;
    char rule[64];
    snprintf(rule, sizeof rule, "heartbeat %.3g s, down after %u missed",
             (double)h.heartbeat_ns / 1e9, self->down_after);
    int len = h.count == 0
                  ? snprintf(lines[0], PB_OUTAGE_LINE, "Up the whole run (%s)", rule)
                  : snprintf(lines[0], PB_OUTAGE_LINE, "Down %zu time(s), %.1f s in all (%s)",
                             h.count, h.down_s, rule);
    if (len < 0) /* a line is cut at PB_OUTAGE_LINE bytes, never longer */
        lines[0][0] = '\0';
    size_t n = 1;
    pb_outage_period_t p;
    for (size_t i = 0; n < max && pb_outage_period(self, host, i, &p) == 0; i++)
        s_period_line(lines[n++], &p);
    return n;
}
