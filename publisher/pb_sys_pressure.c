/* pb_sys_pressure: PSI totals (some = waiting, full = stalled) of
 * /proc/pressure/{cpu,memory,io,irq}. */
#include "pb_sys_pressure.h"

#include <errno.h>
#include <string.h>

enum { S_CPU, S_MEMORY, S_IO, S_IRQ, S_NFILES };

static const char *const s_files[S_NFILES] = {"proc/pressure/cpu", "proc/pressure/memory",
                                              "proc/pressure/io", "proc/pressure/irq"};

/* Files that failed to read once: a kernel does not grow PSI while it runs. */
typedef struct {
    bool absent[S_NFILES];
} s_state_t;

/* The number after " total=" on the line that starts at line. */
static int s_total(const char *line, uint64_t *out)
{
    const char *end = strchr(line, '\n');
    const char *p = strstr(line, " total=");
    if (!p || (end && p > end))
        return -EINVAL;
    p += 7;
    if (*p < '0' || *p > '9' || pb_procfs_next_u64(&p, out) < 0)
        return -EINVAL;
    return *p == '\n' || *p == '\0' || *p == ' ' ? 0 : -EINVAL;
}

int pb_sys_pressure_parse(const char *text, pb_sys_pressure_t *out)
{
    memset(out, 0, sizeof *out);
    for (const char *line = text; line && *line; line = pb_procfs_next_line(line)) {
        bool some = strncmp(line, "some ", 5) == 0, full = strncmp(line, "full ", 5) == 0;
        if (!some && !full)
            return -EINVAL;
        if (s_total(line, some ? &out->some : &out->full) < 0)
            return -EINVAL;
        *(some ? &out->has_some : &out->has_full) = true;
    }
    return out->has_some || out->has_full ? 0 : -EINVAL;
}

static const pb_catalog_field_t *s_top[1];         /* pressure */
static const pb_catalog_field_t *s_k[S_NFILES][2]; /* [file][some, full]; NULL: not exported */

static int s_keys(char *err, size_t errlen)
{
    static const char *const top[] = {"pressure"};
    static const char *const names[] = {"cpu_waiting_us_total",    "cpu_stalled_us_total",
                                        "memory_waiting_us_total", "memory_stalled_us_total",
                                        "io_waiting_us_total",     "io_stalled_us_total",
                                        "irq_stalled_us_total"};
    const pb_catalog_field_t *k[7];
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 1, s_top, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "pressure", names, 7, k, err, errlen);
    for (int i = 0; rc == 0 && i < 6; i++)
        s_k[i / 2][i % 2] = k[i];
    s_k[S_IRQ][1] = k[6]; /* irq has "full" only */
    return rc;
}

/* Reads file i: 1 with *out, 0 when it is missing (now, or once before), or a failure. */
static int s_read(s_state_t *st, pb_sys_ctx_t *ctx, int i, pb_sys_pressure_t *out)
{
    const char *text;
    if (st->absent[i])
        return 0;
    if (pb_sys_metric_file(ctx, s_files[i], &text) < 0) {
        st->absent[i] = true;
        if (ctx->err && ctx->errlen > 0)
            ctx->err[0] = '\0'; /* not an error: this kernel has no such file */
        return 0;
    }
    if (pb_sys_pressure_parse(text, out) < 0)
        return pb_sys_metric_bad_line(ctx, s_files[i], text);
    return 1;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    pb_sys_pressure_t p[S_NFILES];
    int got[S_NFILES], any = 0;
    for (int i = 0; i < S_NFILES; i++) {
        if ((got[i] = s_read(state, ctx, i, &p[i])) < 0)
            return got[i];
        any |= got[i];
    }
    if (!any)
        return 0;
    pb_mpwrite_map(w, s_top[0]);
    for (int i = 0; i < S_NFILES; i++) {
        if (got[i] && p[i].has_some && s_k[i][0])
            pb_mpwrite_uint(w, s_k[i][0], p[i].some);
        if (got[i] && p[i].has_full && s_k[i][1])
            pb_mpwrite_uint(w, s_k[i][1], p[i].full);
    }
    return pb_mpwrite_end(w);
}

const pb_sys_metric_t pb_sys_pressure_metric = {"pressure", sizeof(s_state_t), s_keys, s_sample,
                                                NULL};
