/* pb_proc_body: turns readings of one process into proc frame bodies, with pidstat's rates. */
#include "pb_proc_body.h"

#include "pb_codec.h"
#include "pb_utf8.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every key a proc body may carry, resolved in the catalogue once. */
enum {
    K_INTERVAL_S,
    K_FIRST,
    K_PID,
    K_PPID,
    K_UID,
    K_COMM,
    K_COMM_RAW,
    K_CMDLINE,
    K_STATE,
    K_THREADS,
    K_NICE,
    K_START_TIME_S,
    K_CPU_PCT,
    K_CPU_USER_PCT,
    K_CPU_SYSTEM_PCT,
    K_CPU_CLAMPED,
    K_UTIME_TICKS_TOTAL,
    K_STIME_TICKS_TOTAL,
    K_CPU_PCT_SINCE_START,
    K_RSS_BYTES,
    K_VSIZE_BYTES,
    K_MEM_PCT,
    K_MINFLT_PER_S,
    K_MAJFLT_PER_S,
    K_MINFLT_TOTAL,
    K_MAJFLT_TOTAL,
    K_READ_BYTES_PER_S,
    K_WRITE_BYTES_PER_S,
    K_RCHAR_PER_S,
    K_WCHAR_PER_S,
    K_READ_BYTES_TOTAL,
    K_WRITE_BYTES_TOTAL,
    K_RCHAR_TOTAL,
    K_WCHAR_TOTAL,
    K_FDS,
    K_VOL_CTXSW_PER_S,
    K_INVOL_CTXSW_PER_S,
    K_VOL_CTXSW_TOTAL,
    K_INVOL_CTXSW_TOTAL,
    K_GONE,
    K_N
};

static const char *const s_names[K_N] = {
    [K_INTERVAL_S] = "interval_s",
    [K_FIRST] = "first",
    [K_PID] = "pid",
    [K_PPID] = "ppid",
    [K_UID] = "uid",
    [K_COMM] = "comm",
    [K_COMM_RAW] = "comm_raw",
    [K_CMDLINE] = "cmdline",
    [K_STATE] = "state",
    [K_THREADS] = "threads",
    [K_NICE] = "nice",
    [K_START_TIME_S] = "start_time_s",
    [K_CPU_PCT] = "cpu_pct",
    [K_CPU_USER_PCT] = "cpu_user_pct",
    [K_CPU_SYSTEM_PCT] = "cpu_system_pct",
    [K_CPU_CLAMPED] = "cpu_clamped",
    [K_UTIME_TICKS_TOTAL] = "utime_ticks_total",
    [K_STIME_TICKS_TOTAL] = "stime_ticks_total",
    [K_CPU_PCT_SINCE_START] = "cpu_pct_since_start",
    [K_RSS_BYTES] = "rss_bytes",
    [K_VSIZE_BYTES] = "vsize_bytes",
    [K_MEM_PCT] = "mem_pct",
    [K_MINFLT_PER_S] = "minflt_per_s",
    [K_MAJFLT_PER_S] = "majflt_per_s",
    [K_MINFLT_TOTAL] = "minflt_total",
    [K_MAJFLT_TOTAL] = "majflt_total",
    [K_READ_BYTES_PER_S] = "read_bytes_per_s",
    [K_WRITE_BYTES_PER_S] = "write_bytes_per_s",
    [K_RCHAR_PER_S] = "rchar_per_s",
    [K_WCHAR_PER_S] = "wchar_per_s",
    [K_READ_BYTES_TOTAL] = "read_bytes_total",
    [K_WRITE_BYTES_TOTAL] = "write_bytes_total",
    [K_RCHAR_TOTAL] = "rchar_total",
    [K_WCHAR_TOTAL] = "wchar_total",
    [K_FDS] = "fds",
    [K_VOL_CTXSW_PER_S] = "vol_ctxsw_per_s",
    [K_INVOL_CTXSW_PER_S] = "invol_ctxsw_per_s",
    [K_VOL_CTXSW_TOTAL] = "vol_ctxsw_total",
    [K_INVOL_CTXSW_TOTAL] = "invol_ctxsw_total",
    [K_GONE] = "gone",
};

static const pb_catalog_field_t *s_k[K_N];
static int s_keys_rc;
static char s_keys_err[160];
static pthread_once_t s_keys_once = PTHREAD_ONCE_INIT;

static void s_keys_resolve(void)
{
    s_keys_rc =
        pb_mpwrite_resolve(PB_FT_PROC, "", s_names, K_N, s_k, s_keys_err, sizeof s_keys_err);
}

int pb_proc_body_keys(char *err, size_t errlen)
{
    pthread_once(&s_keys_once, s_keys_resolve);
    if (s_keys_rc < 0 && err && errlen > 0)
        snprintf(err, errlen, "%s", s_keys_err);
    return s_keys_rc;
}

static void s_u(pb_mpwrite_t *w, int k, uint64_t v)
{
    pb_mpwrite_uint(w, s_k[k], v);
}

static void s_f(pb_mpwrite_t *w, int k, double v)
{
    pb_mpwrite_float(w, s_k[k], v);
}

/* comm as valid UTF-8, and its bytes as they were in comm_raw when they were
 * not: the kernel cuts comm at 15 bytes, through a character if need be, and
 * prctl(PR_SET_NAME) takes any bytes, so the name alone may not identify it. */
static void s_comm(pb_mpwrite_t *w, const char *comm)
{
    size_t len = strlen(comm);
    pb_mpwrite_strn(w, s_k[K_COMM], comm, len); /* sanitized when it is not UTF-8 */
    if (!pb_utf8_is_valid(comm, len))
        pb_mpwrite_bin(w, s_k[K_COMM_RAW], comm, len);
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

static void s_put_identity(pb_mpwrite_t *w, const pb_proc_body_args_t *a)
{
    const pb_proc_stat_t *st = &a->reading->stat;
    char state[2] = {st->state, '\0'};
    s_f(w, K_INTERVAL_S, a->rates ? a->interval_s : 0.0);
    pb_mpwrite_bool(w, s_k[K_FIRST], a->rates == NULL);
    s_u(w, K_PID, st->pid);
    s_u(w, K_PPID, st->ppid);
    s_u(w, K_UID, a->reading->status.uid);
    s_comm(w, st->comm);
    pb_mpwrite_str(w, s_k[K_CMDLINE], a->cmdline ? a->cmdline : "");
    pb_mpwrite_str(w, s_k[K_STATE], state);
    s_u(w, K_THREADS, st->threads);
    pb_mpwrite_int(w, s_k[K_NICE], st->nice);
    s_f(w, K_START_TIME_S, (double)st->starttime / (double)sysconf(_SC_CLK_TCK));
}

static void s_put_cpu_mem(pb_mpwrite_t *w, const pb_proc_body_args_t *a)
{
    const pb_proc_stat_t *st = &a->reading->stat;
    const pb_proc_rates_t *r = a->rates;
    if (r) {
        s_f(w, K_CPU_PCT, r->cpu_user_pct + r->cpu_system_pct);
        s_f(w, K_CPU_USER_PCT, r->cpu_user_pct);
        s_f(w, K_CPU_SYSTEM_PCT, r->cpu_system_pct);
    }
    if (a->has_since_start)
        s_f(w, K_CPU_PCT_SINCE_START, a->cpu_pct_since_start);
    s_u(w, K_UTIME_TICKS_TOTAL, pb_proc_body_user_ticks(st));
    s_u(w, K_STIME_TICKS_TOTAL, st->stime);
    uint64_t rss = st->rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
    s_u(w, K_RSS_BYTES, rss);
    s_u(w, K_VSIZE_BYTES, st->vsize);
    s_f(w, K_MEM_PCT, a->mem_total ? (double)rss * 100.0 / (double)a->mem_total : 0.0);
    if (r) {
        s_f(w, K_MINFLT_PER_S, r->minflt_per_s);
        s_f(w, K_MAJFLT_PER_S, r->majflt_per_s);
    }
    s_u(w, K_MINFLT_TOTAL, st->minflt);
    s_u(w, K_MAJFLT_TOTAL, st->majflt);
}

static void s_put_io_ctx(pb_mpwrite_t *w, const pb_proc_body_args_t *a)
{
    const pb_proc_reading_t *rd = a->reading;
    const pb_proc_rates_t *r = a->rates;
    if (r && r->has_io) {
        s_f(w, K_READ_BYTES_PER_S, r->read_bytes_per_s);
        s_f(w, K_WRITE_BYTES_PER_S, r->write_bytes_per_s);
        s_f(w, K_RCHAR_PER_S, r->rchar_per_s);
        s_f(w, K_WCHAR_PER_S, r->wchar_per_s);
    }
    if (rd->has_io && (!r || r->has_io)) {
        s_u(w, K_READ_BYTES_TOTAL, rd->io.read_bytes);
        s_u(w, K_WRITE_BYTES_TOTAL, rd->io.write_bytes);
        s_u(w, K_RCHAR_TOTAL, rd->io.rchar);
        s_u(w, K_WCHAR_TOTAL, rd->io.wchar);
    }
    if (rd->has_fds)
        s_u(w, K_FDS, rd->fds);
    if (r) {
        s_f(w, K_VOL_CTXSW_PER_S, r->vol_ctxsw_per_s);
        s_f(w, K_INVOL_CTXSW_PER_S, r->invol_ctxsw_per_s);
    }
    s_u(w, K_VOL_CTXSW_TOTAL, rd->status.vol_ctxsw);
    s_u(w, K_INVOL_CTXSW_TOTAL, rd->status.invol_ctxsw);
}

int pb_proc_body_write(pb_mpwrite_t *w, const pb_proc_body_t *body)
{
    int rc = pb_proc_body_keys(NULL, 0);
    if (rc < 0)
        return rc;
    const pb_proc_body_args_t *a = body->args;
    if (!a) {
        s_u(w, K_PID, body->pid);
        s_comm(w, body->comm);
        return pb_mpwrite_bool(w, s_k[K_GONE], true);
    }
    s_put_identity(w, a);
    s_put_cpu_mem(w, a);
    s_put_io_ctx(w, a);
    if (a->rates && a->cpu_clamped)
        pb_mpwrite_bool(w, s_k[K_CPU_CLAMPED], true);
    return pb_mpwrite_status(w);
}

pb_value_t *pb_proc_body_tree(const pb_proc_body_t *body)
{
    pb_mpwrite_t *w = pb_mpwrite_new();
    pb_value_t *tree = NULL;
    if (!w)
        return NULL;
    pb_mpwrite_map(w, NULL);
    int rc = pb_proc_body_write(w, body);
    if (rc == 0)
        rc = pb_mpwrite_end(w);
    if (rc == 0)
        pb_codec_decode(pb_mpwrite_data(w), pb_mpwrite_len(w), &tree, NULL, 0);
    pb_mpwrite_destroy(&w);
    return tree;
}

pb_value_t *pb_proc_body_new(const pb_proc_body_args_t *args)
{
    pb_proc_body_t body = {.args = args};
    return pb_proc_body_tree(&body);
}

pb_value_t *pb_proc_body_gone(uint32_t pid, const char *comm)
{
    pb_proc_body_t body = {.pid = pid, .comm = comm};
    return pb_proc_body_tree(&body);
}
