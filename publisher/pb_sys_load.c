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

static int s_put_load(pb_value_t *body, const pb_sys_load_t *l)
{
    pb_value_t *map = pb_value_map_new();
    int rc = map ? 0 : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put_float(map, "avg1", l->avg1);
    if (rc == 0)
        rc = pb_value_map_put_float(map, "avg5", l->avg5);
    if (rc == 0)
        rc = pb_value_map_put_float(map, "avg15", l->avg15);
    if (rc == 0)
        rc = pb_value_map_put_uint(map, "runnable", l->runnable);
    if (rc == 0)
        rc = pb_value_map_put_uint(map, "threads", l->threads);
    if (rc == 0)
        rc = pb_sys_metric_put(body, "load", &map);
    pb_value_destroy(&map);
    return rc;
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_value_t *body)
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
    rc = pb_value_map_put_float(body, "uptime_s", up);
    return rc < 0 ? rc : s_put_load(body, &load);
}

const pb_sys_metric_t pb_sys_load_metric = {"load", 0, s_sample, NULL};
