/* pb_sys_activity: context switches, interrupts, forks and process counts (/proc/stat, /proc). */
#include "pb_sys_activity.h"

#include "pb_sys_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The process count of the last listing of /proc, and what the kernel said of
 * its tasks then: no task was made since (the forks counter counts threads
 * too) and none went (their number is the same), so the set of processes is
 * the same and the count still holds. Listing /proc costs the kernel a dentry
 * per process (about 35 us for 120 processes here, the largest cost of a
 * system-only sample); on a quiet machine most samples need no listing. */
typedef struct {
    bool listed;
    uint64_t forks, threads; /* /proc/stat processes, /proc/loadavg's task count */
    int count;
} s_census_t;

typedef struct {
    pb_sys_series_set_t series;
    s_census_t census;
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
        s_key_u64(text, "procs_blocked ", false, &out->blocked) < 0 ||
        s_key_u64(text, "btime ", false, &out->btime) < 0)
        return -EINVAL;
    return 0;
}

enum { S_CTXT, S_INTR, S_FORKS, S_NCOUNTERS };

static const char *const s_series[S_NCOUNTERS] = {"ctxt", "intr", "forks"};
static const pb_catalog_field_t *s_total_k[S_NCOUNTERS], *s_rate_k[S_NCOUNTERS];
static const pb_catalog_field_t *s_procs_k[5]; /* the map, then its four counts */
static const pb_catalog_field_t *s_btime_k[1];

static int s_keys(char *err, size_t errlen)
{
    static const char *const totals[] = {"ctxt_total", "intr_total", "forks_total"};
    static const char *const rates[] = {"ctxt_per_s", "intr_per_s", "forks_per_s"};
    static const char *const procs[] = {"procs"};
    static const char *const counts[] = {"total", "running", "blocked", "threads"};
    static const char *const btime[] = {"boot_time_s"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", totals, S_NCOUNTERS, s_total_k, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "", rates, S_NCOUNTERS, s_rate_k, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "", procs, 1, s_procs_k, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "", btime, 1, s_btime_k, err, errlen);
    return rc < 0 ? rc
                  : pb_mpwrite_resolve(PB_FT_SYS, "procs", counts, 4, s_procs_k + 1, err, errlen);
}

/* Writes <name>_per_s when the series has a previous value, then <name>_total. */
static int s_put_counter(s_state_t *st, pb_sys_ctx_t *ctx, pb_mpwrite_t *w, int i, uint64_t value)
{
    uint64_t delta;
    int rates = pb_sys_metric_delta(ctx, &st->series, s_series[i], &value, 1, &delta);
    if (rates < 0)
        return rates;
    if (rates == 1)
        pb_sys_metric_put_rates(w, &s_rate_k[i], &delta, 1, 1.0, ctx->interval_s);
    return pb_mpwrite_uint(w, s_total_k[i], value);
}

/* Processes now: the last count while no task came or went, else a listing. */
static int s_count_processes(s_census_t *c, pb_sys_ctx_t *ctx, uint64_t forks, uint64_t threads)
{
    int n = pb_procfs_pidlist_count_at(ctx->pids, ctx->mono_ns); /* this cycle's, if listed */
    if (n < 0 && c->listed && c->forks == forks && c->threads == threads)
        return c->count;
    if (n < 0)
        n = pb_procfs_pidlist_update(ctx->pids, ctx->mono_ns, false);
    if (n >= 0)
        *c = (s_census_t){true, forks, threads, n};
    return n;
}

static int s_put_procs(s_state_t *st, pb_sys_ctx_t *ctx, pb_mpwrite_t *w,
                       const pb_sys_activity_t *a)
{
    const char *loadavg;
    pb_sys_load_t load;
    int rc = pb_sys_metric_file(ctx, "proc/loadavg", &loadavg);
    if (rc < 0)
        return rc;
    if (pb_sys_load_parse(loadavg, &load) < 0)
        return pb_sys_metric_bad_line(ctx, "proc/loadavg", loadavg);
    int npids = s_count_processes(&st->census, ctx, a->forks, load.threads);
    if (npids < 0)
        return pb_sys_metric_fail(ctx, npids, "proc: %s", strerror(-npids));
    uint64_t vals[] = {(uint64_t)npids, a->running, a->blocked, load.threads};
    pb_mpwrite_map(w, s_procs_k[0]);
    pb_sys_metric_put_u64s(w, s_procs_k + 1, vals, 4);
    return pb_mpwrite_end(w);
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
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
    rc = s_put_counter(st, ctx, w, S_CTXT, a.ctxt);
    if (rc == 0)
        rc = s_put_counter(st, ctx, w, S_INTR, a.intr);
    if (rc == 0)
        rc = s_put_counter(st, ctx, w, S_FORKS, a.forks);
    if (rc == 0 && a.btime > 0)
        rc = pb_mpwrite_uint(w, s_btime_k[0], a.btime);
    if (rc == 0)
        rc = s_put_procs(st, ctx, w, &a);
    pb_sys_metric_sweep(ctx, &st->series);
    return rc;
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
}

const pb_sys_metric_t pb_sys_activity_metric = {"activity", sizeof(s_state_t), s_keys, s_sample,
                                                s_release};
