/* pb_sys_cpu: CPU time per state from /proc/stat, as percentages the way sar -u computes them. */
#include "pb_sys_cpu.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_MIN_COLUMNS 4 /* user nice system idle: every kernel since 2.4 */

typedef struct {
    pb_sys_series_set_t series;
} s_state_t;

static const char *const s_tick_keys[PB_CPU_NSTATES] = {
    "user_ticks_total",   "nice_ticks_total",       "system_ticks_total",  "idle_ticks_total",
    "iowait_ticks_total", "irq_ticks_total",        "softirq_ticks_total", "steal_ticks_total",
    "guest_ticks_total",  "guest_nice_ticks_total",
};

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

static int s_put_pct(pb_value_t *map, const uint64_t *delta)
{
    pb_sys_cpu_pct_t p;
    pb_sys_cpu_pct(delta, &p);
    const char *keys[] = {"user_pct",    "nice_pct",  "system_pct", "iowait_pct", "irq_pct",
                          "softirq_pct", "steal_pct", "idle_pct",   "busy_pct"};
    double vals[] = {p.user, p.nice, p.system, p.iowait, p.irq, p.softirq, p.steal, p.idle, p.busy};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int rc = pb_value_map_put_float(map, keys[i], vals[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Builds the STATE map of one cpu line into *state_p. */
static int s_state_map(s_state_t *st, pb_sys_ctx_t *ctx, const pb_sys_cpu_line_t *line,
                       pb_value_t **state_p)
{
    char name[24];
    snprintf(name, sizeof name, "cpu%lld", (long long)line->id);
    uint64_t delta[PB_CPU_NSTATES];
    int rates = pb_sys_metric_delta(ctx, &st->series, name, line->ticks, PB_CPU_NSTATES, delta);
    pb_value_t *map = pb_value_map_new();
    int rc = map ? rates : -ENOMEM;
    if (rc >= 0 && line->id >= 0)
        rc = pb_value_map_put_uint(map, "id", (uint64_t)line->id);
    if (rc >= 0 && rates == 1)
        rc = s_put_pct(map, delta);
    if (rc >= 0)
        rc = pb_sys_metric_put_u64s(map, s_tick_keys, line->ticks, PB_CPU_NSTATES);
    if (rc < 0) {
        pb_value_destroy(&map);
        return rc;
    }
    *state_p = map;
    return 0;
}

/* Reads every cpu line of text: the total into *total_p, the cores into cores. */
static int s_add_lines(s_state_t *st, pb_sys_ctx_t *ctx, const char *text, pb_value_t **total_p,
                       pb_value_t *cores)
{
    for (const char *line = text; line; line = pb_procfs_next_line(line)) {
        pb_sys_cpu_line_t cl;
        int rc = pb_sys_cpu_parse_line(line, &cl);
        if (rc == -ENOENT)
            continue;
        if (rc < 0)
            return pb_sys_metric_bad_line(ctx, "proc/stat", line);
        pb_value_t *state = NULL;
        rc = s_state_map(st, ctx, &cl, &state);
        if (rc == 0 && cl.id < 0) {
            pb_value_destroy(total_p); /* a repeated total line: the last one wins */
            *total_p = state;
        } else if (rc == 0) {
            rc = pb_value_array_push(cores, &state);
        }
        if (rc < 0)
            return rc;
    }
    if (!*total_p)
        return pb_sys_metric_fail(ctx, -EINVAL, "proc/stat: no 'cpu' line");
    return 0;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_value_t *body)
{
    s_state_t *st = state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/stat", &text);
    if (rc < 0)
        return rc;
    pb_value_t *cpu = pb_value_map_new();
    pb_value_t *cores = pb_value_array_new();
    pb_value_t *total = NULL;
    rc = (cpu && cores) ? s_add_lines(st, ctx, text, &total, cores) : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put_uint(cpu, "ncpu", pb_value_len(cores));
    if (rc == 0)
        rc = pb_value_map_put_uint(cpu, "clk_tck", (uint64_t)sysconf(_SC_CLK_TCK));
    if (rc == 0)
        rc = pb_sys_metric_put(cpu, "total", &total);
    if (rc == 0)
        rc = pb_sys_metric_put(cpu, "cores", &cores);
    if (rc == 0)
        rc = pb_sys_metric_put(body, "cpu", &cpu);
    pb_value_destroy(&total);
    pb_value_destroy(&cores);
    pb_value_destroy(&cpu);
    pb_sys_metric_sweep(ctx, &st->series);
    return rc;
}

static void s_release(void *state)
{
    s_state_t *st = state;
    pb_sys_metric_release(&st->series);
}

const pb_sys_metric_t pb_sys_cpu_metric = {"cpu", sizeof(s_state_t), s_sample, s_release};
