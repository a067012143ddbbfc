/* pb_sys_net: network I/O per interface from /proc/net/dev, as sar -n DEV and EDEV count it. */
#include "pb_sys_net.h"

#include <errno.h>
#include <string.h>

#define S_COLUMNS 16

typedef struct {
    pb_sys_series_set_t series;
} s_state_t;

static const char *const s_total_keys[PB_NET_N] = {
    "rx_bytes_total",  "tx_bytes_total",  "rx_packets_total", "tx_packets_total",
    "rx_errors_total", "tx_errors_total", "rx_drops_total",   "tx_drops_total"};
static const char *const s_rate_keys[PB_NET_N] = {
    "rx_bytes_per_s",  "tx_bytes_per_s",  "rx_packets_per_s", "tx_packets_per_s",
    "rx_errors_per_s", "tx_errors_per_s", "rx_drops_per_s",   "tx_drops_per_s"};

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

static int s_put_net(pb_value_t *map, const uint64_t *counters, const uint64_t *delta,
                     double interval_s)
{
    if (delta) {
        int rc = pb_sys_metric_put_rates(map, s_rate_keys, delta, PB_NET_N, 1.0, interval_s);
        if (rc < 0)
            return rc;
    }
    return pb_sys_metric_put_u64s(map, s_total_keys, counters, PB_NET_N);
}

/* Adds one interface, and sums it into the total unless it is the loopback. */
static int s_add_iface(s_state_t *st, pb_sys_ctx_t *ctx, const pb_sys_net_t *n, pb_value_t *ifaces,
                       uint64_t *sum, uint64_t *sum_delta)
{
    uint64_t delta[PB_NET_N];
    int rates = pb_sys_metric_delta(ctx, &st->series, n->name, n->counters, PB_NET_N, delta);
    if (rates < 0)
        return rates;
    pb_value_t *map = pb_value_map_new();
    int rc = map ? pb_value_map_put_str(map, "name", n->name) : -ENOMEM;
    if (rc == 0)
        rc = s_put_net(map, n->counters, rates == 1 ? delta : NULL, ctx->interval_s);
    if (rc == 0)
        rc = pb_value_array_push(ifaces, &map);
    pb_value_destroy(&map);
    for (int i = 0; rc == 0 && strcmp(n->name, "lo") != 0 && i < PB_NET_N; i++) {
        sum[i] += n->counters[i];
        sum_delta[i] += rates == 1 ? delta[i] : 0;
    }
    return rc;
}

static int s_add_lines(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, pb_value_t *ifaces,
                       uint64_t *sum, uint64_t *sum_delta)
{
    for (const char *line = text; line && *line; line = pb_procfs_next_line(line)) {
        pb_sys_net_t n;
        int rc = pb_sys_net_parse_line(line, &n);
        if (rc == -ENOENT)
            continue;
        if (rc < 0)
            return pb_sys_metric_bad_line(ctx, "proc/net/dev", line);
        rc = s_add_iface(st, ctx, &n, ifaces, sum, sum_delta);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int s_build(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, pb_value_t *net)
{
    uint64_t sum[PB_NET_N] = {0};
    uint64_t sum_delta[PB_NET_N] = {0};
    pb_value_t *ifaces = pb_value_array_new();
    pb_value_t *tmap = pb_value_map_new();
    int rc = (ifaces && tmap) ? s_add_lines(st, ctx, text, ifaces, sum, sum_delta) : -ENOMEM;
    if (rc == 0)
        rc = s_put_net(tmap, sum, ctx->first ? NULL : sum_delta, ctx->interval_s);
    if (rc == 0)
        rc = pb_sys_metric_put(net, "total", &tmap);
    if (rc == 0)
        rc = pb_sys_metric_put(net, "interfaces", &ifaces);
    pb_value_destroy(&tmap);
    pb_value_destroy(&ifaces);
    return rc;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_value_t *body)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/net/dev", &text);
    if (rc < 0)
        return rc;
    pb_value_t *net = pb_value_map_new();
    rc = net ? s_build(st, ctx, text, net) : -ENOMEM;
    if (rc == 0)
        rc = pb_sys_metric_put(body, "net", &net);
    pb_value_destroy(&net);
    pb_sys_metric_sweep(ctx, &st->series);
    return rc;
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
}

const pb_sys_metric_t pb_sys_net_metric = {"net", sizeof(s_state_t), s_sample, s_release};
