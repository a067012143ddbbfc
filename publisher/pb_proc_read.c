/* pb_proc_read: reads the files of one process under a root; one-shot reads of any pid. */
#include "pb_proc_read.h"

#include "pb_proc_sampler.h"
#include "pb_sys_load.h"
#include "pb_sys_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Slurps proc/<pid>/<name>. */
static int s_slurp(const char *root, uint32_t pid, const char *name, pb_procfs_buf_t *buf)
{
    char rel[64];
    snprintf(rel, sizeof rel, "proc/%u/%s", pid, name);
    return pb_procfs_slurp(root, rel, buf);
}

int pb_proc_read_stat(const char *root, uint32_t pid, pb_procfs_buf_t *buf, pb_proc_stat_t *out)
{
    int rc = s_slurp(root, pid, "stat", buf);
    if (rc < 0)
        return rc;
    return pb_proc_parse_stat(buf->data, out) < 0 ? -EINVAL : 0;
}

/* Reads io; "not readable" is no error, the fields are just absent. */
static int s_read_io(const char *root, uint32_t pid, pb_procfs_buf_t *buf, pb_proc_reading_t *r)
{
    int rc = s_slurp(root, pid, "io", buf);
    r->has_io = rc == 0;
    if (rc == -EACCES || rc == -EPERM)
        return 0;
    if (rc < 0)
        return rc;
    return pb_proc_parse_io(buf->data, &r->io) < 0 ? -EINVAL : 0;
}

static int s_read_fds(const char *root, uint32_t pid, pb_proc_reading_t *r)
{
    char rel[64];
    snprintf(rel, sizeof rel, "proc/%u/fd", pid);
    int n = pb_procfs_count(root, rel);
    r->has_fds = n >= 0;
    r->fds = n >= 0 ? (uint32_t)n : 0;
    return (n == -EACCES || n == -EPERM || n >= 0) ? 0 : n;
}

int pb_proc_read_rest(const char *root, uint32_t pid, pb_procfs_buf_t *buf, pb_proc_reading_t *r)
{
    int rc = s_slurp(root, pid, "status", buf);
    if (rc < 0)
        return rc;
    if (pb_proc_parse_status(buf->data, &r->status) < 0)
        return -EINVAL;
    rc = s_read_io(root, pid, buf, r);
    return rc < 0 ? rc : s_read_fds(root, pid, r);
}

int pb_proc_read_cmdline(const char *root, uint32_t pid, pb_procfs_buf_t *buf, char **out_p)
{
    int rc = s_slurp(root, pid, "cmdline", buf);
    if (rc < 0)
        return rc;
    size_t len = buf->len < PB_PROC_CMDLINE_MAX ? buf->len : PB_PROC_CMDLINE_MAX;
    char *out = malloc(len + 1);
    if (!out)
        return -ENOMEM;
    pb_proc_parse_cmdline(buf->data, len, out, len + 1);
    *out_p = out;
    return 0;
}

int pb_proc_read_mem_total(const char *root, pb_procfs_buf_t *buf, uint64_t *out)
{
    pb_sys_mem_t mem;
    int rc = pb_procfs_slurp(root, "proc/meminfo", buf);
    if (rc < 0)
        return rc;
    if (pb_sys_mem_parse(buf->data, &mem) < 0)
        return -EINVAL;
    *out = mem.total;
    return 0;
}

/* CPU time over the whole life of the process, as ps computes %CPU. */
static int s_since_start(const char *root, pb_procfs_buf_t *buf, const pb_proc_stat_t *st,
                         double *pct)
{
    double uptime;
    int rc = pb_procfs_slurp(root, "proc/uptime", buf);
    if (rc < 0)
        return rc;
    if (pb_sys_load_parse_uptime(buf->data, &uptime) < 0)
        return -EINVAL;
    double hz = (double)sysconf(_SC_CLK_TCK);
    double alive_s = uptime - (double)st->starttime / hz;
    *pct = alive_s > 0 ? (double)(st->utime + st->stime) / hz / alive_s * 100.0 : 0.0;
    return 0;
}

/* Reads everything about pid into r, *cmdline_p, args. */
static int s_read_all(const char *root, uint32_t pid, pb_procfs_buf_t *buf,
                      pb_proc_reading_t *r, char **cmdline_p, pb_proc_body_args_t *args)
{
    int rc = pb_proc_read_stat(root, pid, buf, &r->stat);
    if (rc == 0)
        rc = pb_proc_read_rest(root, pid, buf, r);
    if (rc == 0)
        rc = pb_proc_read_cmdline(root, pid, buf, cmdline_p);
    if (rc == 0)
        rc = pb_proc_read_mem_total(root, buf, &args->mem_total);
    if (rc == 0)
        rc = s_since_start(root, buf, &r->stat, &args->cpu_pct_since_start);
    return PB_PROC_VANISHED(rc) ? -ENOENT : rc;
}

int pb_proc_read_once(const char *root, uint32_t pid, pb_value_t **body_p)
{
    pb_procfs_buf_t buf = {0};
    pb_proc_reading_t r = {0};
    pb_proc_body_args_t args = {.reading = &r, .has_since_start = true};
    char *cmdline = NULL;
    int rc = pid == 0 ? -ENOENT : s_read_all(root ? root : "", pid, &buf, &r, &cmdline, &args);
    if (rc == 0) {
        args.cmdline = cmdline;
        *body_p = pb_proc_body_new(&args);
        rc = *body_p ? 0 : -ENOMEM;
    }
    free(cmdline);
    pb_procfs_buf_release(&buf);
    return rc;
}
