/* pb_sys_cpu: CPU time per state from /proc/stat, as percentages the way sar -u computes them. */
#include "pb_sys_cpu.h"

#include "pb_grow.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_MIN_COLUMNS 4 /* user nice system idle: every kernel since 2.4 */

/* One cpu line of this cycle, with its rates when it has them. */
typedef struct {
    pb_sys_cpu_line_t line;
    uint64_t delta[PB_CPU_NSTATES];
    bool rates;
} s_line_t;

typedef struct {
    pb_sys_series_set_t series;
    s_line_t *lines; /* this cycle's, in file order: parsed before any is written */
    size_t nlines, cap;
} s_state_t;

static const char *const s_tick_names[PB_CPU_NSTATES] = {
    "user_ticks_total",   "nice_ticks_total",       "system_ticks_total",  "idle_ticks_total",
    "iowait_ticks_total", "irq_ticks_total",        "softirq_ticks_total", "steal_ticks_total",
    "guest_ticks_total",  "guest_nice_ticks_total",
};

#define S_NPCT 9
static const char *const s_pct_names[S_NPCT] = {"user_pct",   "nice_pct", "system_pct",
                                                "iowait_pct", "irq_pct",  "softirq_pct",
                                                "steal_pct",  "idle_pct", "busy_pct"};

/* The keys of one state map (cpu.total or an item of cpu.cores). */
typedef struct {
    const pb_catalog_field_t *id; /* NULL in cpu.total, which has no id */
    const pb_catalog_field_t *pct[S_NPCT];
    const pb_catalog_field_t *ticks[PB_CPU_NSTATES];
} s_state_keys_t;

static struct {
    const pb_catalog_field_t *top[1]; /* cpu */
    const pb_catalog_field_t *cpu[4]; /* ncpu clk_tck total cores */
    s_state_keys_t total, core;
} s_k;

static int s_state_keys(const char *parent, s_state_keys_t *k, char *err, size_t errlen)
{
    static const char *const id[] = {"id"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, parent, s_pct_names, S_NPCT, k->pct, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, parent, s_tick_names, PB_CPU_NSTATES, k->ticks, err,
                                errlen);
    if (rc == 0 && strcmp(parent, "cpu.cores") == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, parent, id, 1, &k->id, err, errlen);
    return rc;
}

static int s_keys(char *err, size_t errlen)
{
    static const char *const top[] = {"cpu"};
    static const char *const cpu[] = {"ncpu", "clk_tck", "total", "cores"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 1, s_k.top, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "cpu", cpu, 4, s_k.cpu, err, errlen);
    if (rc == 0)
        rc = s_state_keys("cpu.total", &s_k.total, err, errlen);
    if (rc == 0)
        rc = s_state_keys("cpu.cores", &s_k.core, err, errlen);
    return rc;
}

static int s_parse_id(const char **cursor, int64_t *id)
{
    const char *p = *cursor;
    if (*p == ' ' || *p == '\t') {
        *id = -1;
        return 0;
    }
    uint64_t v;
    if (!isdigit((unsigned char)*p) || pb_procfs_next_u64(cursor, &v) < 0 || v > INT32_MAX)
        return -EINVAL;
    *id = (int64_t)v;
    return 0;
}

int pb_sys_cpu_parse_line(const char *line, pb_sys_cpu_line_t *out)
{
    if (strncmp(line, "cpu", 3) != 0)
        return -ENOENT;
    const char *p = line + 3;
    memset(out, 0, sizeof *out);
    if (s_parse_id(&p, &out->id) < 0)
        return -EINVAL;
    for (int i = 0; i < PB_CPU_NSTATES; i++) {
        int rc = pb_procfs_next_u64(&p, &out->ticks[i]);
        if (rc == -ENODATA && i >= S_MIN_COLUMNS)
            break;
        if (rc < 0)
            return -EINVAL;
    }
    return 0;
}

static double s_minus(uint64_t a, uint64_t b)
{
    return a > b ? (double)(a - b) : 0.0;
}

void pb_sys_cpu_pct(const uint64_t *d, pb_sys_cpu_pct_t *out)
{
    uint64_t total = d[PB_CPU_USER] + d[PB_CPU_NICE] + d[PB_CPU_SYSTEM] + d[PB_CPU_IDLE] +
                     d[PB_CPU_IOWAIT] + d[PB_CPU_IRQ] + d[PB_CPU_SOFTIRQ] + d[PB_CPU_STEAL];
    memset(out, 0, sizeof *out);
    if (total == 0) {
        out->idle = 100.0;
        return;
    }
    /* ticks * 100 / total, not ticks * (100 / total): a share equal to the
     * total must come out as exactly 100, never 100.00000000000001 */
    double t = (double)total;
    out->user = s_minus(d[PB_CPU_USER], d[PB_CPU_GUEST]) * 100.0 / t;
    out->nice = s_minus(d[PB_CPU_NICE], d[PB_CPU_GUEST_NICE]) * 100.0 / t;
    out->system = (double)d[PB_CPU_SYSTEM] * 100.0 / t;
    out->iowait = (double)d[PB_CPU_IOWAIT] * 100.0 / t;
    out->irq = (double)d[PB_CPU_IRQ] * 100.0 / t;
    out->softirq = (double)d[PB_CPU_SOFTIRQ] * 100.0 / t;
    out->steal = (double)d[PB_CPU_STEAL] * 100.0 / t;
    out->idle = (double)d[PB_CPU_IDLE] * 100.0 / t;
    /* from the busy ticks themselves, so that it never rounds below 0 */
    out->busy = (double)(total - d[PB_CPU_IDLE] - d[PB_CPU_IOWAIT]) * 100.0 / t;
}

static void s_put_pct(pb_mpwrite_t *w, const s_state_keys_t *k, const uint64_t *delta)
{
    pb_sys_cpu_pct_t p;
    pb_sys_cpu_pct(delta, &p);
    double vals[S_NPCT] = {p.user,    p.nice,  p.system, p.iowait, p.irq,
                           p.softirq, p.steal, p.idle,   p.busy};
    for (size_t i = 0; i < S_NPCT; i++)
        pb_mpwrite_float(w, k->pct[i], vals[i]);
}

/* Writes the state map of one cpu line. */
static void s_put_state(pb_mpwrite_t *w, const pb_catalog_field_t *key, const s_line_t *l)
{
    const s_state_keys_t *k = l->line.id >= 0 ? &s_k.core : &s_k.total;
    pb_mpwrite_map(w, key);
    if (l->line.id >= 0)
        pb_mpwrite_uint(w, k->id, (uint64_t)l->line.id);
    if (l->rates)
        s_put_pct(w, k, l->delta);
    pb_sys_metric_put_u64s(w, k->ticks, l->line.ticks, PB_CPU_NSTATES);
    pb_mpwrite_end(w);
}

static s_line_t *s_line_add(s_state_t *st)
{
    if (pb_grow((void **)&st->lines, &st->cap, st->nlines, sizeof *st->lines, 16) < 0)
        return NULL;
    return &st->lines[st->nlines++];
}

/* Parses every cpu line of text, with its rates, into st->lines; *total_p is
 * the index of the last total line (a repeated one: the last one wins). */
static int s_parse_lines(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, size_t *total_p)
{
    st->nlines = 0;
    bool have_total = false;
    for (const char *line = text; line; line = pb_procfs_next_line(line)) {
        pb_sys_cpu_line_t cl;
        int rc = pb_sys_cpu_parse_line(line, &cl);
        if (rc == -ENOENT)
            continue;
        if (rc < 0)
            return pb_sys_metric_bad_line(ctx, "proc/stat", line);
        char name[24];
        snprintf(name, sizeof name, "cpu%lld", (long long)cl.id);
        s_line_t *l = s_line_add(st);
        if (!l)
            return -ENOMEM;
        l->line = cl;
        rc = pb_sys_metric_delta(ctx, &st->series, name, cl.ticks, PB_CPU_NSTATES, l->delta);
        if (rc < 0)
            return rc;
        l->rates = rc == 1;
        if (cl.id < 0) {
            *total_p = st->nlines - 1;
            have_total = true;
        }
    }
    return have_total ? 0 : pb_sys_metric_fail(ctx, -EINVAL, "proc/stat: no 'cpu' line");
}

static void s_write(const s_state_t *st, size_t total, pb_mpwrite_t *w)
{
    uint64_t ncpu = st->nlines;
    for (size_t i = 0; i < st->nlines; i++)
        ncpu -= st->lines[i].line.id < 0;
    pb_mpwrite_map(w, s_k.top[0]);
    pb_mpwrite_uint(w, s_k.cpu[0], ncpu);
    pb_mpwrite_uint(w, s_k.cpu[1], (uint64_t)sysconf(_SC_CLK_TCK));
    s_put_state(w, s_k.cpu[2], &st->lines[total]);
    pb_mpwrite_array(w, s_k.cpu[3]);
    for (size_t i = 0; i < st->nlines; i++) {
        if (st->lines[i].line.id >= 0)
            s_put_state(w, NULL, &st->lines[i]);
    }
    pb_mpwrite_end(w);
    pb_mpwrite_end(w);
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/stat", &text);
    if (rc < 0)
        return rc;
    size_t total = 0;
    rc = s_parse_lines(st, ctx, text, &total);
    if (rc == 0)
        s_write(st, total, w);
    pb_sys_metric_sweep(ctx, &st->series);
    return rc < 0 ? rc : pb_mpwrite_status(w);
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
    free(st->lines);
}

const pb_sys_metric_t pb_sys_cpu_metric = {"cpu", sizeof(s_state_t), s_keys, s_sample, s_release};
