/* pb_detail: per-run resource usage (CPU, RSS, faults, I/O, context switches) and its time series.
 */
#include "pb_detail.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The helper thread appends one point per interval while a run is open.
 * When the series is full, every other point is dropped and the interval
 * doubles, so a long job keeps its whole span at a coarser step. */

#define S_POINTS 1024

typedef struct {
    double t_s, cpu_pct;
    unsigned run;
    uint64_t rss, read_bytes, write_bytes;
} s_point_t;

struct pb_detail {
    double step, t0;
    s_point_t points[S_POINTS];
    size_t n;
    unsigned run;
    pthread_t helper;
    bool helper_running, stop, child, hwm_reset;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t pid;
    clockid_t cpu_clock;
    char status_path[64], io_path[64];
    double wall0, cpu_prev, t_prev;
    struct rusage ru0;
    pb_detail_io_t io0;
    uint64_t rss0, series_peak, series_hwm;
};

static double s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double s_clock(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) < 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int rc = n < 0 ? -errno : 0;
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return rc;
}

/* Finds "key" at a line start followed by ':' and parses the number after it. */
static int s_field(const char *text, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, klen) != 0 || line[klen] != ':')
            continue;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(line + klen + 1, &end, 10);
        if (errno != 0 || end == line + klen + 1)
            return -EINVAL;
        *out = v;
        return 0;
    }
    return -EINVAL;
}

int pb_detail_parse_status(const char *text, uint64_t *rss_bytes, uint64_t *hwm_bytes)
{
    uint64_t rss = 0, hwm = 0;
    if (s_field(text, "VmRSS", &rss) < 0 || s_field(text, "VmHWM", &hwm) < 0)
        return -EINVAL;
    *rss_bytes = rss * 1024;
    *hwm_bytes = hwm * 1024;
    return 0;
}

int pb_detail_parse_io(const char *text, pb_detail_io_t *out)
{
    pb_detail_io_t io;
    if (s_field(text, "rchar", &io.rchar) < 0 || s_field(text, "wchar", &io.wchar) < 0 ||
        s_field(text, "read_bytes", &io.read_bytes) < 0 ||
        s_field(text, "write_bytes", &io.write_bytes) < 0 ||
        s_field(text, "cancelled_write_bytes", &io.cancelled_write_bytes) < 0)
        return -EINVAL;
    *out = io;
    return 0;
}

static int s_read_status(const pb_detail_t *self, uint64_t *rss, uint64_t *hwm)
{
    char buf[4096];
    int rc = s_slurp(self->status_path, buf, sizeof buf);
    return rc < 0 ? rc : pb_detail_parse_status(buf, rss, hwm);
}

static int s_read_io(const pb_detail_t *self, pb_detail_io_t *io)
{
    char buf[1024];
    int rc = s_slurp(self->io_path, buf, sizeof buf);
    return rc < 0 ? rc : pb_detail_parse_io(buf, io);
}

pb_detail_t *pb_detail_new(double interval_s)
{
    pb_detail_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->step = interval_s > 0.001 ? interval_s : 0.001;
    self->t0 = -1;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->cond, NULL);
    return self;
}

static void s_stop_helper(pb_detail_t *self)
{
    if (!self->helper_running)
        return;
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->helper, NULL);
    self->helper_running = false;
}

void pb_detail_destroy(pb_detail_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_detail_t *self = *self_p;
    s_stop_helper(self);
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

static void s_decimate(pb_detail_t *self)
{
    size_t j = 0;
    for (size_t i = 0; i < self->n; i += 2)
        self->points[j++] = self->points[i];
    self->n = j;
    self->step *= 2;
}

static void s_sample(pb_detail_t *self)
{
    s_point_t p = {.t_s = s_mono() - self->t0, .run = self->run};
    uint64_t hwm = 0;
    pb_detail_io_t io = {0};
    s_read_status(self, &p.rss, &hwm);
    if (hwm > self->series_hwm)
        self->series_hwm = hwm;
    s_read_io(self, &io);
    p.read_bytes = io.read_bytes - self->io0.read_bytes;
    p.write_bytes = io.write_bytes - self->io0.write_bytes;
    double cpu = s_clock(self->cpu_clock), now = s_mono();
    if (now > self->t_prev)
        p.cpu_pct = 100.0 * (cpu - self->cpu_prev) / (now - self->t_prev);
    self->cpu_prev = cpu;
    self->t_prev = now;
    if (p.rss > self->series_peak)
        self->series_peak = p.rss;
    if (self->n == S_POINTS)
        s_decimate(self);
    self->points[self->n++] = p;
}

static void *s_helper(void *arg)
{
    pb_detail_t *self = arg;
    pthread_mutex_lock(&self->lock);
    while (!self->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double ns = (double)until.tv_nsec + self->step * 1e9;
        until.tv_sec += (time_t)(ns / 1e9);
        until.tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
        pthread_cond_timedwait(&self->cond, &self->lock, &until);
        if (!self->stop)
            s_sample(self);
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static int s_start(pb_detail_t *self)
{
    double now = s_mono();
    if (self->t0 < 0)
        self->t0 = now;
    self->wall0 = now;
    self->t_prev = now;
    self->cpu_prev = s_clock(self->cpu_clock);
    self->series_peak = 0;
    self->series_hwm = 0;
    self->stop = false;
    uint64_t hwm = 0;
    s_read_status(self, &self->rss0, &hwm);
    self->series_peak = self->rss0;
    if (s_read_io(self, &self->io0) < 0)
        memset(&self->io0, 0, sizeof self->io0);
    int rc = pthread_create(&self->helper, NULL, s_helper, self);
    self->helper_running = rc == 0;
    return -rc;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0); false when refused. */
static bool s_reset_hwm(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

int pb_detail_thread_begin(pb_detail_t *self)
{
    self->child = false;
    self->pid = getpid();
    snprintf(self->status_path, sizeof self->status_path, "/proc/self/status");
    snprintf(self->io_path, sizeof self->io_path, "/proc/self/task/%d/io", (int)gettid());
    pthread_getcpuclockid(pthread_self(), &self->cpu_clock);
    self->hwm_reset = s_reset_hwm();
    getrusage(RUSAGE_THREAD, &self->ru0);
    return s_start(self);
}

int pb_detail_child_begin(pb_detail_t *self, pid_t pid)
{
    self->child = true;
    self->pid = pid;
    snprintf(self->status_path, sizeof self->status_path, "/proc/%d/status", (int)pid);
    snprintf(self->io_path, sizeof self->io_path, "/proc/%d/io", (int)pid);
    if (clock_getcpuclockid(pid, &self->cpu_clock) != 0)
        self->cpu_clock = CLOCK_MONOTONIC;
    memset(&self->ru0, 0, sizeof self->ru0);
    self->hwm_reset = false;
    return s_start(self);
}

static double s_tv(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void s_fill(pb_detail_t *self, const struct rusage *ru, pb_detail_run_t *out)
{
    out->wall_s = s_mono() - self->wall0;
    out->user_s = s_tv(&ru->ru_utime) - s_tv(&self->ru0.ru_utime);
    out->sys_s = s_tv(&ru->ru_stime) - s_tv(&self->ru0.ru_stime);
    out->minflt = (uint64_t)(ru->ru_minflt - self->ru0.ru_minflt);
    out->majflt = (uint64_t)(ru->ru_majflt - self->ru0.ru_majflt);
    out->vol_ctxsw = (uint64_t)(ru->ru_nvcsw - self->ru0.ru_nvcsw);
    out->invol_ctxsw = (uint64_t)(ru->ru_nivcsw - self->ru0.ru_nivcsw);
    out->rss_before = self->rss0;
    pb_detail_io_t io = self->io0;
    s_read_io(self, &io);
    out->io.rchar = io.rchar - self->io0.rchar;
    out->io.wchar = io.wchar - self->io0.wchar;
    out->io.read_bytes = io.read_bytes - self->io0.read_bytes;
    out->io.write_bytes = io.write_bytes - self->io0.write_bytes;
    out->io.cancelled_write_bytes = io.cancelled_write_bytes - self->io0.cancelled_write_bytes;
}

int pb_detail_thread_end(pb_detail_t *self, pb_detail_run_t *out)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    s_stop_helper(self);
    memset(out, 0, sizeof *out);
    s_fill(self, &ru, out);
    uint64_t hwm = 0;
    s_read_status(self, &out->rss_after, &hwm);
    uint64_t peak = self->series_peak > out->rss_after ? self->series_peak : out->rss_after;
    bool use_hwm = self->hwm_reset && hwm > 0;
    out->peak_source = use_hwm ? "hwm" : "series";
    out->rss_peak = use_hwm && hwm > peak ? hwm : peak;
    self->run++;
    return 0;
}

int pb_detail_child_end(pb_detail_t *self, pid_t pid, int *status, pb_detail_run_t *out)
{
    s_stop_helper(self);
    char buf[1024];
    pb_detail_io_t before = {0};
    if (s_slurp("/proc/self/io", buf, sizeof buf) == 0)
        pb_detail_parse_io(buf, &before);
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, status, 0, &ru) < 0)
        return -errno;
    memset(out, 0, sizeof *out);
    self->io0 = before;
    snprintf(self->io_path, sizeof self->io_path, "/proc/self/io");
    s_fill(self, &ru, out); /* reads /proc/self/io again: after - before */
    out->rss_after = 0;     /* it has exited */
    bool sampled = self->series_hwm > 0;
    out->rss_peak = sampled ? self->series_hwm : (uint64_t)ru.ru_maxrss * 1024;
    out->peak_source = sampled ? "hwm" : "rusage";
    self->run++;
    return 0;
}

pb_value_t *pb_detail_run_value(const pb_detail_run_t *r)
{
    pb_value_t *m = pb_value_map_new();
    int rc = m ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_float(m, "wall_s", r->wall_s);
    rc = rc ? rc : pb_value_map_put_float(m, "user_s", r->user_s);
    rc = rc ? rc : pb_value_map_put_float(m, "sys_s", r->sys_s);
    rc = rc ? rc : pb_value_map_put_uint(m, "rss_before_bytes", r->rss_before);
    rc = rc ? rc : pb_value_map_put_uint(m, "rss_after_bytes", r->rss_after);
    rc = rc ? rc : pb_value_map_put_uint(m, "rss_peak_bytes", r->rss_peak);
    rc = rc ? rc : pb_value_map_put_str(m, "rss_peak_source", r->peak_source);
    rc = rc ? rc : pb_value_map_put_uint(m, "minflt", r->minflt);
    rc = rc ? rc : pb_value_map_put_uint(m, "majflt", r->majflt);
    rc = rc ? rc : pb_value_map_put_uint(m, "read_bytes", r->io.read_bytes);
    rc = rc ? rc : pb_value_map_put_uint(m, "write_bytes", r->io.write_bytes);
    rc = rc ? rc : pb_value_map_put_uint(m, "cancelled_write_bytes", r->io.cancelled_write_bytes);
    rc = rc ? rc : pb_value_map_put_uint(m, "rchar", r->io.rchar);
    rc = rc ? rc : pb_value_map_put_uint(m, "wchar", r->io.wchar);
    rc = rc ? rc : pb_value_map_put_uint(m, "vol_ctxsw", r->vol_ctxsw);
    rc = rc ? rc : pb_value_map_put_uint(m, "invol_ctxsw", r->invol_ctxsw);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

static pb_value_t *s_point_value(const s_point_t *p)
{
    pb_value_t *m = pb_value_map_new();
    int rc = m ? pb_value_map_put_float(m, "t_s", p->t_s) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(m, "run", p->run);
    rc = rc ? rc : pb_value_map_put_uint(m, "rss_bytes", p->rss);
    rc = rc ? rc : pb_value_map_put_float(m, "cpu_pct", p->cpu_pct);
    rc = rc ? rc : pb_value_map_put_uint(m, "read_bytes", p->read_bytes);
    rc = rc ? rc : pb_value_map_put_uint(m, "write_bytes", p->write_bytes);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_detail_series(const pb_detail_t *self)
{
    pb_value_t *out = pb_value_array_new();
    for (size_t i = 0; out && i < self->n; i++) {
        pb_value_t *p = s_point_value(&self->points[i]);
        if (!p || pb_value_array_push(out, &p) < 0)
            pb_value_destroy(&out);
    }
    return out;
}
