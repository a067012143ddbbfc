/* pb_sys_load: load averages and task counts from /proc/loadavg, uptime from /proc/uptime. */
#include "pb_sys_load.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parses "<runnable>/<threads>". */
static int s_parse_tasks(const char **cursor, pb_sys_load_t *out)
{
    const char *p = *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    char *end = NULL;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    errno = 0;
    out->runnable = strtoull(p, &end, 10);
    if (errno != 0 || *end != '/' || !isdigit((unsigned char)end[1]))
        return -EINVAL;
    p = end + 1;
    out->threads = strtoull(p, &end, 10);
    if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
        return -EINVAL;
    *cursor = end;
    return 0;
}

int pb_sys_load_parse(const char *text, pb_sys_load_t *out)
{
    const char *p = text;
    memset(out, 0, sizeof *out);
    if (pb_procfs_next_f64(&p, &out->avg1) < 0 || pb_procfs_next_f64(&p, &out->avg5) < 0 ||
        pb_procfs_next_f64(&p, &out->avg15) < 0)
        return -EINVAL;
    return s_parse_tasks(&p, out);
}

int pb_sys_load_parse_uptime(const char *text, double *uptime_s)
{
    const char *p = text;
    return pb_procfs_next_f64(&p, uptime_s) < 0 ? -EINVAL : 0;
}

static const pb_catalog_field_t *s_top[2]; /* uptime_s load */
static const pb_catalog_field_t *s_k[5];

static int s_keys(char *err, size_t errlen)
{
    static const char *const top[] = {"uptime_s", "load"};
    static const char *const names[] = {"avg1", "avg5", "avg15", "runnable", "threads"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 2, s_top, err, errlen);
    return rc < 0 ? rc : pb_mpwrite_resolve(PB_FT_SYS, "load", names, 5, s_k, err, errlen);
}

static void s_put_load(pb_mpwrite_t *w, const pb_sys_load_t *l)
{
    pb_mpwrite_map(w, s_top[1]);
    pb_mpwrite_float(w, s_k[0], l->avg1);
    pb_mpwrite_float(w, s_k[1], l->avg5);
    pb_mpwrite_float(w, s_k[2], l->avg15);
    pb_mpwrite_uint(w, s_k[3], l->runnable);
    pb_mpwrite_uint(w, s_k[4], l->threads);
    pb_mpwrite_end(w);
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    (void)state;
    const char *loadavg;
    const char *uptime;
    int rc = pb_sys_metric_file(ctx, "proc/loadavg", &loadavg);
    if (rc == 0)
        rc = pb_sys_metric_file(ctx, "proc/uptime", &uptime);
    if (rc < 0)
        return rc;
    pb_sys_load_t load;
    double up;
    if (pb_sys_load_parse(loadavg, &load) < 0)
        return pb_sys_metric_bad_line(ctx, "proc/loadavg", loadavg);
    if (pb_sys_load_parse_uptime(uptime, &up) < 0)
        return pb_sys_metric_bad_line(ctx, "proc/uptime", uptime);
    pb_mpwrite_float(w, s_top[0], up);
    s_put_load(w, &load);
    return pb_mpwrite_status(w);
}

const pb_sys_metric_t pb_sys_load_metric = {"load", 0, s_keys, s_sample, NULL};
