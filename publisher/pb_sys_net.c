/* pb_sys_net: network I/O per interface from /proc/net/dev, as sar -n DEV and EDEV count it. */
#include "pb_sys_net.h"

#include "pb_grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_COLUMNS 16

/* One interface of this cycle, with its rates when it has them. */
typedef struct {
    pb_sys_net_t n;
    uint64_t delta[PB_NET_N];
    bool rates;
} s_row_t;

typedef struct {
    pb_sys_series_set_t series;
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

static int s_keys(char *err, size_t errlen)
{
    return pb_sys_metric_section_keys("net", "interfaces", s_rate_names, PB_NET_N, s_total_names,
                                      PB_NET_N, &s_k, err, errlen);
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
        pb_mpwrite_end(w);
    }
    pb_mpwrite_end(w);
    pb_mpwrite_end(w);
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
    return rc < 0 ? rc : pb_mpwrite_status(w);
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
    free(st->rows);
}

const pb_sys_metric_t pb_sys_net_metric = {"net", sizeof(s_state_t), s_keys, s_sample, s_release};
