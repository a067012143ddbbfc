/* pb_sys_net: network I/O per interface from /proc/net/dev, as sar -n DEV and EDEV count it. */
#include "pb_sys_net.h"

#include "pb_grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COLUMNS     16
#define S_SPEED_EVERY 64 /* cycles between reads of an interface's link speed */

/* One interface of this cycle, with its rates when it has them. */
typedef struct {
    pb_sys_net_t n;
    uint64_t delta[PB_NET_N];
    uint64_t speed; /* bytes/s, 0 when unknown */
    bool rates;
} s_row_t;

/* An interface's link speed as last read: sysfs costs three syscalls per interface, and a
 * speed seldom changes. */
typedef struct {
    char name[32];
    uint64_t bytes_per_s; /* 0: unknown */
    uint32_t read_gen, seen_gen;
} s_speed_t;

typedef struct {
    pb_sys_series_set_t series;
    s_speed_t *speeds;
    size_t nspeeds, speeds_cap;
    s_row_t *rows; /* this cycle's interfaces: the total is written before them */
    size_t nrows, rows_cap;
} s_state_t;

static const char *const s_total_names[PB_NET_N] = {
    "rx_bytes_total",  "tx_bytes_total",  "rx_packets_total", "tx_packets_total",
    "rx_errors_total", "tx_errors_total", "rx_drops_total",   "tx_drops_total"};
static const char *const s_rate_names[PB_NET_N] = {
    "rx_bytes_per_s",  "tx_bytes_per_s",  "rx_packets_per_s", "tx_packets_per_s",
    "rx_errors_per_s", "tx_errors_per_s", "rx_drops_per_s",   "tx_drops_per_s"};

static pb_sys_section_keys_t s_k;
static const pb_catalog_field_t *s_speed_k[1];

static int s_keys(char *err, size_t errlen)
{
    static const char *const speed[] = {"speed_bytes"};
    int rc = pb_sys_metric_section_keys("net", "interfaces", s_rate_names, PB_NET_N, s_total_names,
                                        PB_NET_N, &s_k, err, errlen);
    return rc < 0
               ? rc
               : pb_mpwrite_resolve(PB_FT_SYS, "net.interfaces", speed, 1, s_speed_k, err, errlen);
}

int pb_sys_net_parse_speed(const char *text, uint64_t *bytes_per_s)
{
    const char *p = text;
    int64_t mbps;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n')
        return -ENOENT;
    if (pb_procfs_next_i64(&p, &mbps) < 0 || (*p != '\n' && *p != '\0'))
        return -EINVAL;
    if (mbps <= 0)
        return -ENOENT;
    if ((uint64_t)mbps > UINT64_MAX / 125000)
        return -EINVAL;
    *bytes_per_s = (uint64_t)mbps * 125000;
    return 0;
}

static s_speed_t *s_speed_slot(s_state_t *st, const char *name)
{
    for (size_t i = 0; i < st->nspeeds; i++)
        if (strcmp(st->speeds[i].name, name) == 0)
            return &st->speeds[i];
    if (pb_grow((void **)&st->speeds, &st->speeds_cap, st->nspeeds, sizeof *st->speeds, 8) < 0)
        return NULL;
    s_speed_t *s = &st->speeds[st->nspeeds++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* The link speed of name in bytes/s, 0 when unknown or unreadable (no such file under a
 * fixture root, EINVAL from a device that is down or virtual): read again every
 * S_SPEED_EVERY cycles. */
static uint64_t s_speed(s_state_t *st, const pb_sys_ctx_t *ctx, const char *name)
{
    s_speed_t *s = s_speed_slot(st, name);
    if (!s)
        return 0;
    s->seen_gen = ctx->gen;
    if (s->read_gen != 0 && ctx->gen - s->read_gen < S_SPEED_EVERY)
        return s->bytes_per_s;
    char rel[80];
    pb_procfs_buf_t buf = {0};
    snprintf(rel, sizeof rel, "sys/class/net/%s/speed", name);
    s->read_gen = ctx->gen ? ctx->gen : 1;
    s->bytes_per_s = 0;
    if (pb_procfs_slurp(ctx->root, rel, &buf) == 0 &&
        pb_sys_net_parse_speed(buf.data, &s->bytes_per_s) < 0)
        s->bytes_per_s = 0;
    pb_procfs_buf_release(&buf);
    return s->bytes_per_s;
}

/* Column of /proc/net/dev that holds each counter. */
static const int s_column[PB_NET_N] = {0, 8, 1, 9, 2, 10, 3, 11};

static int s_parse_name(const char *line, char *name, size_t size, const char **rest)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *colon = strchr(p, ':');
    const char *nl = strchr(p, '\n');
    if (!colon || (nl && colon > nl))
        return -EINVAL;
    size_t len = (size_t)(colon - p);
    if (len == 0 || len >= size || memchr(p, ' ', len))
        return -EINVAL;
    memcpy(name, p, len);
    name[len] = '\0';
    *rest = colon + 1;
    return 0;
}

int pb_sys_net_parse_line(const char *line, pb_sys_net_t *out)
{
    size_t len = strcspn(line, "\n");
    if (memchr(line, '|', len))
        return -ENOENT;
    memset(out, 0, sizeof *out);
    const char *p;
    if (s_parse_name(line, out->name, sizeof out->name, &p) < 0)
        return -EINVAL;
    uint64_t col[S_COLUMNS];
    for (int i = 0; i < S_COLUMNS; i++) {
        if (pb_procfs_next_u64(&p, &col[i]) < 0)
            return -EINVAL;
    }
    for (int i = 0; i < PB_NET_N; i++)
        out->counters[i] = col[s_column[i]];
    return 0;
}

static void s_put_net(pb_mpwrite_t *w, const pb_sys_state_keys_t *k, const uint64_t *counters,
                      const uint64_t *delta, double interval_s)
{
    if (delta)
        pb_sys_metric_put_rates(w, k->rates, delta, PB_NET_N, 1.0, interval_s);
    pb_sys_metric_put_u64s(w, k->counters, counters, PB_NET_N);
}

static s_row_t *s_row_add(s_state_t *st)
{
    if (pb_grow((void **)&st->rows, &st->rows_cap, st->nrows, sizeof *st->rows, 8) < 0)
        return NULL;
    return &st->rows[st->nrows++];
}

/* Records one interface, and sums it into the total unless it is the loopback. */
static int s_add_iface(s_state_t *st, pb_sys_ctx_t *ctx, const pb_sys_net_t *n, uint64_t *sum,
                       uint64_t *sum_delta)
{
    s_row_t *row = s_row_add(st);
    if (!row)
        return -ENOMEM;
    int rates = pb_sys_metric_delta(ctx, &st->series, n->name, n->counters, PB_NET_N, row->delta);
    if (rates < 0)
        return rates;
    row->n = *n;
    row->rates = rates == 1;
    row->speed = s_speed(st, ctx, n->name);
    for (int i = 0; strcmp(n->name, "lo") != 0 && i < PB_NET_N; i++) {
        sum[i] += n->counters[i];
        sum_delta[i] += row->rates ? row->delta[i] : 0;
    }
    return 0;
}

static int s_add_lines(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, uint64_t *sum,
                       uint64_t *sum_delta)
{
    st->nrows = 0;
    for (const char *line = text; line && *line; line = pb_procfs_next_line(line)) {
        pb_sys_net_t n;
        int rc = pb_sys_net_parse_line(line, &n);
        if (rc == -ENOENT)
            continue;
        if (rc < 0)
            return pb_sys_metric_bad_line(ctx, "proc/net/dev", line);
        rc = s_add_iface(st, ctx, &n, sum, sum_delta);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void s_write(const s_state_t *st, const pb_sys_ctx_t *ctx, const uint64_t *sum,
                    const uint64_t *sum_delta, pb_mpwrite_t *w)
{
    pb_mpwrite_map(w, s_k.section);
    pb_mpwrite_map(w, s_k.total_map);
    s_put_net(w, &s_k.total, sum, ctx->first ? NULL : sum_delta, ctx->interval_s);
    pb_mpwrite_end(w);
    pb_mpwrite_array(w, s_k.list);
    for (size_t i = 0; i < st->nrows; i++) {
        const s_row_t *row = &st->rows[i];
        pb_mpwrite_map(w, NULL);
        pb_mpwrite_str(w, s_k.item.name, row->n.name);
        s_put_net(w, &s_k.item, row->n.counters, row->rates ? row->delta : NULL, ctx->interval_s);
        if (row->speed)
            pb_mpwrite_uint(w, s_speed_k[0], row->speed);
        pb_mpwrite_end(w);
    }
    pb_mpwrite_end(w);
    pb_mpwrite_end(w);
}

/* Forgets the speeds of interfaces gone this cycle (containers make and drop veths). */
static void s_speed_sweep(s_state_t *st, const pb_sys_ctx_t *ctx)
{
    size_t keep = 0;
    for (size_t i = 0; i < st->nspeeds; i++)
        if (st->speeds[i].seen_gen == ctx->gen)
            st->speeds[keep++] = st->speeds[i];
    st->nspeeds = keep;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/net/dev", &text);
    if (rc < 0)
        return rc;
    uint64_t sum[PB_NET_N] = {0};
    uint64_t sum_delta[PB_NET_N] = {0};
    rc = s_add_lines(st, ctx, text, sum, sum_delta);
    if (rc == 0)
        s_write(st, ctx, sum, sum_delta, w);
    pb_sys_metric_sweep(ctx, &st->series);
    s_speed_sweep(st, ctx);
    return rc < 0 ? rc : pb_mpwrite_status(w);
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
    free(st->rows);
    free(st->speeds);
}

const pb_sys_metric_t pb_sys_net_metric = {"net", sizeof(s_state_t), s_keys, s_sample, s_release};
