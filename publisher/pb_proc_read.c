/* pb_proc_read: reads the files of one process under a root; one-shot reads of any pid. */
#include "pb_proc_read.h"

#include "pb_proc_sampler.h"
#include "pb_sys_load.h"
#include "pb_sys_mem.h"
#include "pb_utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

int pb_proc_read_open(const char *root, pb_proc_dir_t *dir)
{
    dir->fd = pb_procfs_open_dir(root ? root : "", "proc");
    if (dir->fd < 0)
        return dir->fd;
    /* self/fd holds at least dir->fd, so a size of 0 means an older kernel */
    struct stat sb;
    dir->procfs = pb_procfs_is_procfs(dir->fd);
    dir->fd_sizes = dir->procfs && fstatat(dir->fd, "self/fd", &sb, 0) == 0 && sb.st_size > 0;
    dir->keep_room = 0;
    return 0;
}

void pb_proc_read_files_close(pb_proc_files_t *files)
{
    int *fds[] = {&files->stat, &files->status, &files->io, &files->schedstat, &files->fd_dir};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

size_t pb_proc_read_files_open(const pb_proc_files_t *files)
{
    return (size_t)(files->stat >= 0) + (files->status >= 0) + (files->io >= 0) +
           (files->schedstat >= 0) + (files->fd_dir >= 0);
}

void pb_proc_read_close(pb_proc_dir_t *dir)
{
    if (dir->fd >= 0)
        close(dir->fd);
    dir->fd = -1;
}

/* Reads <pid>/<name>, through the kept file *slot when there is one (slot
 * may be NULL); a newly opened file is kept while dir->keep_room allows. */
static int s_slurp(pb_proc_dir_t *dir, uint32_t pid, const char *name, int *slot,
                   pb_procfs_buf_t *buf)
{
    if (slot && *slot >= 0) {
        if (pb_procfs_pread_all(*slot, buf) == 0)
            return 0;
        close(*slot); /* reaped (-ESRCH): look the pid up again below */
        *slot = -1;
    }
    char rel[64];
    if (pb_procfs_pid_rel(rel, sizeof rel, pid, name) < 0)
        return -ENAMETOOLONG;
    if (!slot || !dir->procfs || dir->keep_room == 0)
        return pb_procfs_slurp_at(dir->fd, rel, buf);
    int fd = openat(dir->fd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = pb_procfs_pread_all(fd, buf);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *slot = fd;
    dir->keep_room--;
    return 0;
}

int pb_proc_read_stat(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                      pb_procfs_buf_t *buf, pb_proc_stat_t *out)
{
    int rc = s_slurp(dir, pid, "stat", files ? &files->stat : NULL, buf);
    if (rc < 0)
        return rc;
    return pb_proc_parse_stat(buf->data, out) < 0 ? -EINVAL : 0;
}

/* Reads io; not readable (or no such file: a kernel without I/O accounting)
 * is no error, the fields are just absent. */
static int s_read_io(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files, pb_procfs_buf_t *buf,
                     pb_proc_reading_t *r)
{
    int rc = s_slurp(dir, pid, "io", files ? &files->io : NULL, buf);
    r->has_io = rc == 0;
    if (rc == -EACCES || rc == -EPERM || rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    return pb_proc_parse_io(buf->data, &r->io) < 0 ? -EINVAL : 0;
}

/* The size of <pid>/fd, through the kept O_PATH file *slot when there is
 * one: fstat on it skips the path walk that fstatat makes each time. */
static int s_stat_fd_dir(pb_proc_dir_t *dir, const char *rel, int *slot, struct stat *sb)
{
    if (*slot >= 0) {
        if (fstat(*slot, sb) == 0)
            return 0;
        close(*slot); /* reaped: look the pid up again below */
        *slot = -1;
    }
    if (dir->keep_room == 0)
        return fstatat(dir->fd, rel, sb, 0) == 0 ? 0 : -errno;
    int fd = openat(dir->fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, sb) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *slot = fd;
    dir->keep_room--;
    return 0;
}

/* Counts open fds; any failure (not readable, or the process just exited
 * after its status was read) leaves the field absent, never the frame. */
static void s_read_fds(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                       pb_proc_reading_t *r)
{
    char rel[64];
    struct stat sb;
    pb_procfs_pid_rel(rel, sizeof rel, pid, "fd"); /* 10 digits and "/fd" always fit */
    if (dir->fd_sizes) {
        int rc = files ? s_stat_fd_dir(dir, rel, &files->fd_dir, &sb)
                       : (fstatat(dir->fd, rel, &sb, 0) == 0 ? 0 : -errno);
        r->has_fds = rc == 0 && sb.st_size >= 0 && sb.st_size <= INT_MAX;
        r->fds = r->has_fds ? (uint32_t)sb.st_size : 0;
        return;
    }
    int n = pb_procfs_count_at(dir->fd, rel);
    r->has_fds = n >= 0;
    r->fds = n >= 0 ? (uint32_t)n : 0;
}

/* Reads schedstat; unreadable (no such file on a kernel without
 * CONFIG_SCHED_INFO, or gone) or all zero (sched_info off) only means its
 * status cannot be carried over. */
static void s_read_sched(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                         pb_procfs_buf_t *buf, pb_proc_reading_t *r)
{
    r->has_sched = s_slurp(dir, pid, "schedstat", files ? &files->schedstat : NULL, buf) == 0 &&
                   pb_proc_parse_schedstat(buf->data, &r->sched) == 0 &&
                   (r->sched.run_ns > 0 || r->sched.runs > 0);
}

/* status holds only what changes when the leader is switched out (its
 * context switch counts) or runs (its uid): both move run_ns or runs, since
 * switching in counts a run and switching out adds the time it ran. schedstat
 * is read before status, so nothing after prev's status read is missed. */
static bool s_status_unchanged(const pb_proc_reading_t *prev, const pb_proc_reading_t *r)
{
    return prev && prev->has_sched && r->has_sched && prev->sched.run_ns == r->sched.run_ns &&
           prev->sched.runs == r->sched.runs;
}

int pb_proc_read_rest(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                      const pb_proc_reading_t *prev, pb_procfs_buf_t *buf, pb_proc_reading_t *r)
{
    s_read_sched(dir, pid, files, buf, r);
    if (s_status_unchanged(prev, r)) {
        r->status = prev->status;
    } else {
        int rc = s_slurp(dir, pid, "status", files ? &files->status : NULL, buf);
        if (rc < 0)
            return rc;
        if (pb_proc_parse_status(buf->data, &r->status) < 0)
            return -EINVAL;
    }
    int rc = s_read_io(dir, pid, files, buf, r);
    if (rc == 0)
        s_read_fds(dir, pid, files, r);
    return rc;
}

int pb_proc_read_cmdline(pb_proc_dir_t *dir, uint32_t pid, pb_procfs_buf_t *buf, char **out_p)
{
    int rc = s_slurp(dir, pid, "cmdline", NULL, buf);
    if (rc < 0)
        return rc;
    size_t len = buf->len < PB_PROC_CMDLINE_MAX ? buf->len : PB_PROC_CMDLINE_MAX;
    char *out = malloc(len + 1);
    if (!out)
        return -ENOMEM;
    len = pb_proc_parse_cmdline(buf->data, len, out, len + 1);
    /* arguments are any bytes (file names, a cut at the limit): send UTF-8;
     * no raw copy, /proc/PID/cmdline has it for whoever needs the bytes */
    if (!pb_utf8_is_valid(out, len)) {
        char *clean = pb_utf8_sanitize_new(out, len, NULL);
        free(out);
        out = clean;
    }
    *out_p = out;
    return out ? 0 : -ENOMEM;
}

int pb_proc_read_mem_total(pb_proc_dir_t *dir, pb_procfs_buf_t *buf, uint64_t *out)
{
    pb_sys_mem_t mem;
    int rc = pb_procfs_slurp_at(dir->fd, "meminfo", buf);
    if (rc < 0)
        return rc;
    if (pb_sys_mem_parse(buf->data, &mem) < 0)
        return -EINVAL;
    *out = mem.total;
    return 0;
}

/* CPU time over the whole life of the process, as ps computes %CPU. */
static int s_since_start(pb_proc_dir_t *dir, pb_procfs_buf_t *buf, const pb_proc_stat_t *st,
                         double *pct)
{
    double uptime;
    int rc = pb_procfs_slurp_at(dir->fd, "uptime", buf);
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
static int s_read_all(pb_proc_dir_t *dir, uint32_t pid, pb_procfs_buf_t *buf, pb_proc_reading_t *r,
                      char **cmdline_p, pb_proc_body_args_t *args)
{
    int rc = pb_proc_read_stat(dir, pid, NULL, buf, &r->stat);
    if (rc == 0)
        rc = pb_proc_read_rest(dir, pid, NULL, NULL, buf, r);
    if (rc == 0)
        rc = pb_proc_read_cmdline(dir, pid, buf, cmdline_p);
    if (rc == 0)
        rc = pb_proc_read_mem_total(dir, buf, &args->mem_total);
    if (rc == 0)
        rc = s_since_start(dir, buf, &r->stat, &args->cpu_pct_since_start);
    return PB_PROC_VANISHED(rc) ? -ENOENT : rc;
}

int pb_proc_read_once(const char *root, uint32_t pid, pb_value_t **body_p)
{
    pb_procfs_buf_t buf = {0};
    pb_proc_reading_t r = {0};
    pb_proc_body_args_t args = {.reading = &r, .has_since_start = true};
    pb_proc_dir_t dir;
    char *cmdline = NULL;
    int rc = pid == 0 ? -ENOENT : pb_proc_read_open(root, &dir);
    if (rc == 0) {
        rc = s_read_all(&dir, pid, &buf, &r, &cmdline, &args);
        pb_proc_read_close(&dir);
    }
    if (rc == 0) {
        args.cmdline = cmdline;
        *body_p = pb_proc_body_new(&args);
        rc = *body_p ? 0 : -ENOMEM;
    }
    free(cmdline);
    pb_procfs_buf_release(&buf);
    return rc;
}
