/* pb_sys_activity: context switches, interrupts, forks and process counts (/proc/stat, /proc). */
#include "pb_sys_activity.h"

#include "pb_sys_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pb_sys_series_set_t series;
} s_state_t;

/* Reads the number after key; a missing optional key leaves *out alone. */
static int s_key_u64(const char *text, const char *key, bool required, uint64_t *out)
{
    const char *p = pb_procfs_find_key(text, key);
    if (!p)
        return required ? -EINVAL : 0;
    return pb_procfs_next_u64(&p, out) < 0 ? -EINVAL : 0;
}

int pb_sys_activity_parse(const char *text, pb_sys_activity_t *out)
{
    memset(out, 0, sizeof *out);
    if (s_key_u64(text, "ctxt ", true, &out->ctxt) < 0 ||
        s_key_u64(text, "intr ", true, &out->intr) < 0 ||
        s_key_u64(text, "processes ", true, &out->forks) < 0 ||
        s_key_u64(text, "procs_running ", false, &out->running) < 0 ||
        s_key_u64(text, "procs_blocked ", false, &out->blocked) < 0)
        return -EINVAL;
    return 0;
}

/* Adds <name>_total, and <name>_per_s when the series has a previous value. */
static int s_put_counter(s_state_t *st, pb_sys_ctx_t *ctx, pb_value_t *body, const char *name,
                         uint64_t value)
{
    char total_key[32];
    char rate_key[32];
    uint64_t delta;
    int rates = pb_sys_metric_delta(ctx, &st->series, name, &value, 1, &delta);
    if (rates < 0)
        return rates;
    snprintf(total_key, sizeof total_key, "%s_total", name);
    snprintf(rate_key, sizeof rate_key, "%s_per_s", name);
    const char *rk = rate_key;
    if (rates == 1 && pb_sys_metric_put_rates(body, &rk, &delta, 1, 1.0, ctx->interval_s) < 0)
        return -ENOMEM;
    return pb_value_map_put_uint(body, total_key, value);
}

static int s_put_procs(pb_sys_ctx_t *ctx, pb_value_t *body, const pb_sys_activity_t *a)
{
    const char *loadavg;
    pb_sys_load_t load;
    int rc = pb_sys_metric_file(ctx, "proc/loadavg", &loadavg);
    if (rc < 0)
        return rc;
    if (pb_sys_load_parse(loadavg, &load) < 0)
        return pb_sys_metric_bad_line(ctx, "proc/loadavg", loadavg);
    int npids = pb_procfs_pidlist_update(ctx->pids, ctx->mono_ns, false);
    if (npids < 0)
        return pb_sys_metric_fail(ctx, npids, "proc: %s", strerror(-npids));
    const char *keys[] = {"total", "running", "blocked", "threads"};
    uint64_t vals[] = {(uint64_t)npids, a->running, a->blocked, load.threads};
    pb_value_t *map = pb_value_map_new();
    rc = map ? pb_sys_metric_put_u64s(map, keys, vals, 4) : -ENOMEM;
    if (rc == 0)
        rc = pb_sys_metric_put(body, "procs", &map);
    pb_value_destroy(&map);
    return rc;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_value_t *body)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/stat", &text);
    if (rc < 0)
        return rc;
    pb_sys_activity_t a;
    if (pb_sys_activity_parse(text, &a) < 0)
        return pb_sys_metric_fail(ctx, -EINVAL,
                                  "proc/stat: missing or malformed ctxt/intr/processes line");
    rc = s_put_counter(st, ctx, body, "ctxt", a.ctxt);
    if (rc == 0)
        rc = s_put_counter(st, ctx, body, "intr", a.intr);
    if (rc == 0)
        rc = s_put_counter(st, ctx, body, "forks", a.forks);
    if (rc == 0)
        rc = s_put_procs(ctx, body, &a);
    pb_sys_metric_sweep(ctx, &st->series);
    return rc;
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
}

const pb_sys_metric_t pb_sys_activity_metric = {"activity", sizeof(s_state_t), s_sample, s_release};
