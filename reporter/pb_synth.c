/* pb_synth: deterministic synthetic frames, shaped like perfbusd's (schemas/FIELDS.md).
 *
 * Values follow slow sine waves so charts have shape, and are a pure
 * function of the sample index, so tests can predict them: CPU user is
 * 20 + 10 sin(i / 300) except 97 at spike_at; memory used grows by 1 MiB
 * a sample modulo 1 GiB; proc k has cpu_pct k + 1 and rss (k + 1) MiB. */
#include "pb_synth.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MIB (1024.0 * 1024.0)

static const char *const s_comms[] = {
    "postgres", "nginx", "naïve-wörker", "日本語プロセス", "java",
    "a-process-name-that-is-far-too-long-for-any-table-cell-in-the-report", "redis-server",
    "(sd-pam)", "<script>x</script>", "python3"};

typedef struct {
    const pb_synth_opts_t *opts;
    pb_synth_fn *fn;
    void *arg;
    uint64_t seq, emitted;
} gen_t;

void pb_synth_defaults(pb_synth_opts_t *opts)
{
    opts->host = "synth";
    opts->start_ns = 1767225600ULL * 1000000000ULL;
    opts->interval_s = 1;
    opts->samples = 60;
    opts->procs = 3;
    opts->spike_at = SIZE_MAX;
    opts->lose_every = 0;
}

static int s_put_cpu(pb_value_t *frame, size_t i, int first, size_t spike_at)
{
    pb_value_t *total = pb_value_map_new();
    double user = i == spike_at ? 97.0 : 20 + 10 * sin((double)i / 300.0);
    double sys = i == spike_at ? 1.0 : 5 + 2 * sin((double)i / 97.0);
    int rc = total ? 0 : -ENOMEM;
    double rest = 100 - user - sys - 0.5 * 4;
    double values[] = {user, 0.5, sys, 0.5, 0.5, 0.5, 0, rest, 100 - rest - 0.5};
    const char *names[] = {"user_pct",    "nice_pct",  "system_pct", "iowait_pct", "irq_pct",
                           "softirq_pct", "steal_pct", "idle_pct",   "busy_pct"};
    for (size_t k = 0; k < 9 && rc == 0 && !first; k++)
        rc = pb_value_map_put_float(total, names[k], values[k]);
    pb_value_t *cpu = pb_value_map_new();
    rc = rc ? rc : cpu ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(cpu, "ncpu", 4);
    rc = rc ? rc : pb_value_map_put(cpu, "total", &total);
    rc = rc ? rc : pb_value_map_put(frame, "cpu", &cpu);
    pb_value_destroy(&total);
    pb_value_destroy(&cpu);
    return rc;
}

static int s_put_mem(pb_value_t *frame, size_t i)
{
    pb_value_t *mem = pb_value_map_new();
    if (!mem)
        return -ENOMEM;
    double total = 8192 * S_MIB, used = 2048 * S_MIB + fmod((double)i * S_MIB, 1024 * S_MIB);
    int rc = pb_value_map_put_uint(mem, "total_bytes", (uint64_t)total);
    rc = rc ? rc : pb_value_map_put_uint(mem, "used_bytes", (uint64_t)used);
    rc = rc ? rc : pb_value_map_put_uint(mem, "cached_bytes", (uint64_t)(1536 * S_MIB));
    rc = rc ? rc : pb_value_map_put_uint(mem, "free_bytes", (uint64_t)(total - used - 1536 * S_MIB));
    rc = rc ? rc : pb_value_map_put_uint(mem, "swap_used_bytes", (uint64_t)(64 * S_MIB));
    rc = rc ? rc : pb_value_map_put_float(mem, "used_pct", used / total * 100);
    rc = rc ? rc : pb_value_map_put(frame, "mem", &mem);
    pb_value_destroy(&mem);
    return rc;
}

/* Puts {total: {a: x, b: y}} under key, rates only after the first sample. */
static int s_put_pair(pb_value_t *frame, const char *key, const char *a, double x, const char *b,
                      double y, int first)
{
    pb_value_t *outer = pb_value_map_new(), *total = pb_value_map_new();
    int rc = outer && total ? 0 : -ENOMEM;
    if (!first) {
        rc = rc ? rc : pb_value_map_put_float(total, a, x);
        rc = rc ? rc : pb_value_map_put_float(total, b, y);
    }
    rc = rc ? rc : pb_value_map_put(outer, "total", &total);
    rc = rc ? rc : pb_value_map_put(frame, key, &outer);
    pb_value_destroy(&outer);
    pb_value_destroy(&total);
    return rc;
}

static pb_value_t *s_sys(const pb_synth_opts_t *o, size_t i, uint64_t seq, uint64_t ts)
{
    pb_value_t *frame = pb_frame_new("sys", o->host, "synth-1", seq, ts);
    int first = i == 0, rc = frame ? 0 : -ENOMEM;
    double wave = 1 + sin((double)i / 50.0);
    rc = rc ? rc : pb_value_map_put_float(frame, "interval_s", first ? 0 : o->interval_s);
    rc = rc ? rc : pb_value_map_put_bool(frame, "first", first);
    rc = rc ? rc : s_put_cpu(frame, i, first, o->spike_at);
    rc = rc ? rc : s_put_mem(frame, i);
    rc = rc ? rc : s_put_pair(frame, "disk", "read_bytes_per_s", wave * S_MIB, "write_bytes_per_s",
                              2 * S_MIB, first);
    rc = rc ? rc : s_put_pair(frame, "net", "rx_bytes_per_s", wave * 100e3, "tx_bytes_per_s", 50e3,
                              first);
    if (rc < 0)
        pb_value_destroy(&frame);
    return frame;
}

static pb_value_t *s_proc(const pb_synth_opts_t *o, size_t i, size_t k, uint64_t seq,
                          uint64_t ts)
{
    pb_value_t *frame = pb_frame_new("proc", o->host, "synth-1", seq, ts);
    int rc = frame ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_float(frame, "interval_s", i ? o->interval_s : 0);
    rc = rc ? rc : pb_value_map_put_bool(frame, "first", i == 0);
    rc = rc ? rc : pb_value_map_put_uint(frame, "pid", 1000 + k);
    rc = rc ? rc : pb_value_map_put_str(frame, "comm", s_comms[k % 10]);
    rc = rc ? rc : pb_value_map_put_uint(frame, "rss_bytes", (uint64_t)((double)(k + 1) * S_MIB));
    if (i > 0)
        rc = rc ? rc : pb_value_map_put_float(frame, "cpu_pct", (double)(k + 1));
    if (rc < 0)
        pb_value_destroy(&frame);
    return frame;
}

static pb_value_t *s_hb(const pb_synth_opts_t *o, uint64_t seq, uint64_t ts)
{
    pb_value_t *frame = pb_frame_new("hb", o->host, "synth-1", seq, ts);
    int rc = frame ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_float(frame, "interval_s", o->interval_s);
    rc = rc ? rc : pb_value_map_put_str(frame, "version", PB_VERSION);
    if (rc < 0)
        pb_value_destroy(&frame);
    return frame;
}

/* Hands one frame to the callback (taking it), with the next seq number. */
static int s_emit(gen_t *gen, pb_value_t *frame, const char *type, const char *tail, uint64_t ts)
{
    char topic[256];
    if (!frame)
        return -ENOMEM;
    int rc = pb_frame_topic(topic, sizeof(topic), type, gen->opts->host, tail);
    rc = rc ? rc : gen->fn(topic, frame, ts, gen->arg);
    pb_value_destroy(&frame);
    gen->emitted++;
    gen->seq++;
    if (gen->opts->lose_every && gen->emitted % gen->opts->lose_every == 0)
        gen->seq++;
    return rc;
}

static int s_sample(gen_t *gen, size_t i)
{
    const pb_synth_opts_t *o = gen->opts;
    uint64_t ts = o->start_ns + (uint64_t)llround((double)i * o->interval_s * 1e9);
    int rc = s_emit(gen, s_hb(o, gen->seq, ts), "hb", NULL, ts);
    rc = rc ? rc : s_emit(gen, s_sys(o, i, gen->seq, ts), "sys", NULL, ts);
    for (size_t k = 0; k < o->procs && rc == 0; k++) {
        char pid[24];
        snprintf(pid, sizeof(pid), "%zu", 1000 + k);
        rc = s_emit(gen, s_proc(o, i, k, gen->seq, ts), "proc", pid, ts);
    }
    return rc;
}

int pb_synth_generate(const pb_synth_opts_t *opts, pb_synth_fn *fn, void *arg)
{
    if (!opts->host || !(opts->interval_s > 0))
        return -EINVAL;
    gen_t gen = {opts, fn, arg, 0, 0};
    int rc = 0;
    for (size_t i = 0; i < opts->samples && rc == 0; i++)
        rc = s_sample(&gen, i);
    return rc;
}

static int s_append(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    pb_run_writer_t *writer = arg;
    const char *host = NULL;
    char *buf;
    size_t len;
    pb_value_map_get_str(frame, "host", &host);
    int rc = pb_codec_encode(frame, &buf, &len);
    if (rc < 0)
        return rc;
    rc = pb_run_writer_append(writer, ts, host, topic, strlen(topic), buf, len);
    free(buf);
    if (rc == 0 && pb_run_writer_records(writer) % 4096 == 0)
        rc = pb_run_writer_flush(writer);
    return rc;
}

int pb_synth_write(const pb_synth_opts_t *opts, const char *store, char *dir, size_t size)
{
    pb_run_writer_t *writer = pb_run_writer_new(store, NULL, 0);
    if (!writer)
        return errno ? -errno : -EIO;
    int rc = pb_synth_generate(opts, s_append, writer);
    rc = rc ? rc : pb_run_writer_flush(writer);
    if (rc == 0 && (size_t)snprintf(dir, size, "%s", pb_run_writer_dir(writer)) >= size)
        rc = -ENAMETOOLONG;
    pb_run_writer_destroy(&writer);
    return rc;
}
