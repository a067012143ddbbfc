/* pb_proc_body: turns readings of one process into proc frame bodies, with pidstat's rates. */
#include "pb_proc_body.h"

#include "pb_utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Accumulates map puts: after the first failure the rest are skipped. */
typedef struct {
    pb_value_t *map;
    int rc;
} s_out_t;

static void s_u(s_out_t *o, const char *key, uint64_t v)
{
    if (o->rc == 0)
        o->rc = pb_value_map_put_uint(o->map, key, v);
}

static void s_f(s_out_t *o, const char *key, double v)
{
    if (o->rc == 0)
        o->rc = pb_value_map_put_float(o->map, key, v);
}

static void s_s(s_out_t *o, const char *key, const char *v)
{
    if (o->rc == 0)
        o->rc = pb_value_map_put_str(o->map, key, v);
}

/* comm as valid UTF-8, and its bytes as they were in comm_raw when they were
 * not: the kernel cuts comm at 15 bytes, through a character if need be, and
 * prctl(PR_SET_NAME) takes any bytes, so the name alone may not identify it. */
static void s_comm(s_out_t *o, const char *comm)
{
    size_t len = strlen(comm);
    if (o->rc < 0 || pb_utf8_is_valid(comm, len)) {
        s_s(o, "comm", comm);
        return;
    }
    char *clean = pb_utf8_sanitize_new(comm, len, NULL);
    pb_value_t *raw = pb_value_bin_new(comm, len);
    o->rc = clean && raw ? pb_value_map_put_str(o->map, "comm", clean) : -ENOMEM;
    if (o->rc == 0)
        o->rc = pb_value_map_put(o->map, "comm_raw", &raw);
    pb_value_destroy(&raw);
    free(clean);
}

uint64_t pb_proc_body_user_ticks(const pb_proc_stat_t *stat)
{
    return stat->utime > stat->guest_time ? stat->utime - stat->guest_time : 0;
}

static bool s_back(uint64_t prev, uint64_t cur)
{
    return cur < prev;
}

static bool s_went_back(const pb_proc_reading_t *p, const pb_proc_reading_t *c)
{
    bool io = p->has_io && c->has_io &&
              (s_back(p->io.rchar, c->io.rchar) || s_back(p->io.wchar, c->io.wchar) ||
               s_back(p->io.read_bytes, c->io.read_bytes) ||
               s_back(p->io.write_bytes, c->io.write_bytes));
    return io || s_back(pb_proc_body_user_ticks(&p->stat), pb_proc_body_user_ticks(&c->stat)) ||
           s_back(p->stat.stime, c->stat.stime) || s_back(p->stat.minflt, c->stat.minflt) ||
           s_back(p->stat.majflt, c->stat.majflt) ||
           s_back(p->status.vol_ctxsw, c->status.vol_ctxsw) ||
           s_back(p->status.invol_ctxsw, c->status.invol_ctxsw);
}

static double s_rate(uint64_t prev, uint64_t cur, double interval_s)
{
    return (double)(cur - prev) / interval_s;
}

bool pb_proc_body_rates(const pb_proc_reading_t *p, const pb_proc_reading_t *c, double interval_s,
                        pb_proc_rates_t *out)
{
    if (interval_s <= 0 || s_went_back(p, c))
        return false;
    double tick_pct = 100.0 / (double)sysconf(_SC_CLK_TCK);
    out->cpu_user_pct =
        s_rate(pb_proc_body_user_ticks(&p->stat), pb_proc_body_user_ticks(&c->stat), interval_s) *
        tick_pct;
    out->cpu_system_pct = s_rate(p->stat.stime, c->stat.stime, interval_s) * tick_pct;
    out->minflt_per_s = s_rate(p->stat.minflt, c->stat.minflt, interval_s);
    out->majflt_per_s = s_rate(p->stat.majflt, c->stat.majflt, interval_s);
    out->vol_ctxsw_per_s = s_rate(p->status.vol_ctxsw, c->status.vol_ctxsw, interval_s);
    out->invol_ctxsw_per_s = s_rate(p->status.invol_ctxsw, c->status.invol_ctxsw, interval_s);
    out->has_io = p->has_io && c->has_io;
    if (out->has_io) {
        out->read_bytes_per_s = s_rate(p->io.read_bytes, c->io.read_bytes, interval_s);
        out->write_bytes_per_s = s_rate(p->io.write_bytes, c->io.write_bytes, interval_s);
        out->rchar_per_s = s_rate(p->io.rchar, c->io.rchar, interval_s);
        out->wchar_per_s = s_rate(p->io.wchar, c->io.wchar, interval_s);
    }
    return true;
}

bool pb_proc_body_clamp_cpu(pb_proc_rates_t *r, double cap)
{
    if (r->cpu_user_pct + r->cpu_system_pct <= cap)
        return false;
    double user = r->cpu_user_pct * (cap / (r->cpu_user_pct + r->cpu_system_pct));
    r->cpu_user_pct = user < cap ? user : cap; /* the product may round an ulp above */
    r->cpu_system_pct = cap - r->cpu_user_pct;
    /* an ulp of rounding in the sum, at most twice; a zero system share ends it */
    while (r->cpu_system_pct > 0 && r->cpu_user_pct + r->cpu_system_pct > cap)
        r->cpu_system_pct = nextafter(r->cpu_system_pct, 0);
    return true;
}

static void s_put_identity(s_out_t *o, const pb_proc_body_args_t *a)
{
    const pb_proc_stat_t *st = &a->reading->stat;
    char state[2] = {st->state, '\0'};
    s_f(o, "interval_s", a->rates ? a->interval_s : 0.0);
    if (o->rc == 0)
        o->rc = pb_value_map_put_bool(o->map, "first", a->rates == NULL);
    s_u(o, "pid", st->pid);
    s_u(o, "ppid", st->ppid);
    s_u(o, "uid", a->reading->status.uid);
    s_comm(o, st->comm);
    s_s(o, "cmdline", a->cmdline ? a->cmdline : "");
    s_s(o, "state", state);
    s_u(o, "threads", st->threads);
    if (o->rc == 0)
        o->rc = pb_value_map_put_int(o->map, "nice", st->nice);
    s_f(o, "start_time_s", (double)st->starttime / (double)sysconf(_SC_CLK_TCK));
}

static void s_put_cpu_mem(s_out_t *o, const pb_proc_body_args_t *a)
{
    const pb_proc_stat_t *st = &a->reading->stat;
    const pb_proc_rates_t *r = a->rates;
    if (r) {
        s_f(o, "cpu_pct", r->cpu_user_pct + r->cpu_system_pct);
        s_f(o, "cpu_user_pct", r->cpu_user_pct);
        s_f(o, "cpu_system_pct", r->cpu_system_pct);
    }
    if (a->has_since_start)
        s_f(o, "cpu_pct_since_start", a->cpu_pct_since_start);
    s_u(o, "utime_ticks_total", pb_proc_body_user_ticks(st));
    s_u(o, "stime_ticks_total", st->stime);
    uint64_t rss = st->rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
    s_u(o, "rss_bytes", rss);
    s_u(o, "vsize_bytes", st->vsize);
    s_f(o, "mem_pct", a->mem_total ? (double)rss * 100.0 / (double)a->mem_total : 0.0);
    if (r) {
        s_f(o, "minflt_per_s", r->minflt_per_s);
        s_f(o, "majflt_per_s", r->majflt_per_s);
    }
    s_u(o, "minflt_total", st->minflt);
    s_u(o, "majflt_total", st->majflt);
}

static void s_put_io_ctx(s_out_t *o, const pb_proc_body_args_t *a)
{
    const pb_proc_reading_t *rd = a->reading;
    const pb_proc_rates_t *r = a->rates;
    if (r && r->has_io) {
        s_f(o, "read_bytes_per_s", r->read_bytes_per_s);
        s_f(o, "write_bytes_per_s", r->write_bytes_per_s);
        s_f(o, "rchar_per_s", r->rchar_per_s);
        s_f(o, "wchar_per_s", r->wchar_per_s);
    }
    if (rd->has_io && (!r || r->has_io)) {
        s_u(o, "read_bytes_total", rd->io.read_bytes);
        s_u(o, "write_bytes_total", rd->io.write_bytes);
        s_u(o, "rchar_total", rd->io.rchar);
        s_u(o, "wchar_total", rd->io.wchar);
    }
    if (rd->has_fds)
        s_u(o, "fds", rd->fds);
    if (r) {
        s_f(o, "vol_ctxsw_per_s", r->vol_ctxsw_per_s);
        s_f(o, "invol_ctxsw_per_s", r->invol_ctxsw_per_s);
    }
    s_u(o, "vol_ctxsw_total", rd->status.vol_ctxsw);
    s_u(o, "invol_ctxsw_total", rd->status.invol_ctxsw);
}

pb_value_t *pb_proc_body_new(const pb_proc_body_args_t *args)
{
    s_out_t o = {pb_value_map_new(), 0};
    if (!o.map)
        return NULL;
    s_put_identity(&o, args);
    s_put_cpu_mem(&o, args);
    s_put_io_ctx(&o, args);
    if (o.rc < 0)
        pb_value_destroy(&o.map);
    return o.map;
}

pb_value_t *pb_proc_body_gone(uint32_t pid, const char *comm)
{
    s_out_t o = {pb_value_map_new(), 0};
    if (!o.map)
        return NULL;
    s_u(&o, "pid", pid);
    s_comm(&o, comm);
    if (o.rc == 0)
        o.rc = pb_value_map_put_bool(o.map, "gone", true);
    if (o.rc < 0)
        pb_value_destroy(&o.map);
    return o.map;
}
