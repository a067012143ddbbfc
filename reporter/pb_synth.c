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
    "postgres",
    "nginx",
    "naïve-wörker",
    "日本語プロセス",
    "java",
    "a-process-name-that-is-far-too-long-for-any-table-cell-in-the-report",
    "redis-server",
    "(sd-pam)",
    "<script>x</script>",
    "python3"};

typedef struct {
    const pb_synth_opts_t *opts;
    pb_synth_fn *fn;
    void *arg;
    uint64_t seq, emitted, prof_seq; /* the agent has its own src and seq */
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
    opts->profiles = 0;
    opts->format = 2;
    opts->segment_seconds = PB_RUN_DEFAULT_SEGMENT_SECONDS;
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
    rc =
        rc ? rc : pb_value_map_put_uint(mem, "free_bytes", (uint64_t)(total - used - 1536 * S_MIB));
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
    rc = rc ? rc
            : s_put_pair(frame, "disk", "read_bytes_per_s", wave * S_MIB, "write_bytes_per_s",
                         2 * S_MIB, first);
    rc = rc ? rc
            : s_put_pair(frame, "net", "rx_bytes_per_s", wave * 100e3, "tx_bytes_per_s", 50e3,
                         first);
    if (rc < 0)
        pb_value_destroy(&frame);
    return frame;
}

static pb_value_t *s_proc(const pb_synth_opts_t *o, size_t i, size_t k, uint64_t seq, uint64_t ts)
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

/* {name, key: value...} shorthand for the prof tables; the keys are uints. */
static int s_push_fn(pb_value_t *array, const char *name, const char *const *keys,
                     const double *values, size_t n)
{
    pb_value_t *f = pb_value_map_new();
    int rc = f ? pb_value_map_put_str(f, "name", name) : -ENOMEM;
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = pb_value_map_put_float(f, keys[k], values[k]);
    rc = rc ? rc : pb_value_array_push(array, &f);
    pb_value_destroy(&f);
    return rc;
}

/* The sampling section: 100 samples, target_split -> split_a (70) / split_b (30),
 * split_a -> a deep helper with a non-Latin-1 name. */
static int s_sampling(pb_value_t *frame)
{
    static const char *const fkeys[] = {"self_pct", "total_pct", "self_s", "total_s"};
    static const double fvals[][4] = {
        {0, 100, 0, 1.0}, {50, 70, 0.5, 0.7}, {30, 30, 0.3, 0.3}, {20, 20, 0.2, 0.2}};
    static const char *const names[] = {"target_split", "split_a", "split_b", "Ωmega_helper"};
    static const int64_t parents[] = {-1, 0, 0, 1};
    static const uint64_t totals[] = {100, 70, 30, 20};
    pb_value_t *s = pb_value_map_new(), *fns = pb_value_array_new(), *tree = pb_value_array_new();
    int rc = s && fns && tree ? 0 : -ENOMEM;
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = s_push_fn(fns, names[i], fkeys, fvals[i], 4);
        pb_value_t *node = pb_value_map_new();
        rc = rc ? rc : node ? 0 : -ENOMEM;
        rc = rc ? rc : pb_value_map_put_int(node, "id", (int64_t)i);
        rc = rc ? rc : pb_value_map_put_int(node, "parent", parents[i]);
        rc = rc ? rc : pb_value_map_put_str(node, "name", names[i]);
        rc = rc ? rc : pb_value_map_put_uint(node, "total", totals[i]);
        rc = rc ? rc : pb_value_array_push(tree, &node);
        pb_value_destroy(&node);
    }
    rc = rc ? rc : pb_value_map_put_str(s, "clock", "cpu");
    rc = rc ? rc : pb_value_map_put_float(s, "hz_effective", 100);
    rc = rc ? rc : pb_value_map_put_float(s, "seconds", 1.0);
    rc = rc ? rc : pb_value_map_put_uint(s, "samples_received", 100);
    rc = rc ? rc : pb_value_map_put(s, "functions", &fns);
    rc = rc ? rc : pb_value_map_put(s, "tree", &tree);
    rc = rc ? rc : pb_value_map_put(frame, "sampling", &s);
    pb_value_destroy(&s);
    pb_value_destroy(&fns);
    pb_value_destroy(&tree);
    return rc;
}

static int s_tracing(pb_value_t *frame)
{
    static const char *const keys[] = {"ncalls",    "primcalls",         "tottime_s",
                                       "cumtime_s", "percall_tottime_s", "percall_cumtime_s"};
    static const double top[] = {1, 1, 0.00002, 0.0789, 0.00002, 0.0789};
    static const double fib[] = {635621, 1, 0.0788, 0.0788, 1.24e-7, 0.0788};
    pb_value_t *t = pb_value_map_new(), *fns = pb_value_array_new();
    int rc = t && fns ? 0 : -ENOMEM;
    rc = rc ? rc : s_push_fn(fns, "target_fib", keys, top, 6);
    rc = rc ? rc : s_push_fn(fns, "demo_fib", keys, fib, 6);
    rc = rc ? rc : pb_value_map_put_uint(t, "calls", 635622);
    rc = rc ? rc : pb_value_map_put_uint(t, "threads", 1);
    rc = rc ? rc : pb_value_map_put(t, "functions", &fns);
    rc = rc ? rc : pb_value_map_put(frame, "tracing", &t);
    pb_value_destroy(&t);
    pb_value_destroy(&fns);
    return rc;
}

static pb_value_t *s_prof(const pb_synth_opts_t *o, const char *target, const char *mode,
                          uint64_t seq, uint64_t ts)
{
    pb_value_t *frame = pb_frame_new("prof", o->host, "synth-agent", seq, ts);
    int rc = frame ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(frame, "target", target);
    rc = rc ? rc : pb_value_map_put_str(frame, "mode", mode);
    rc = rc ? rc : pb_value_map_put_float(frame, "wall_s", 1.25);
    if (strcmp(mode, "sampling") == 0)
        rc = rc ? rc : s_sampling(frame);
    else if (strcmp(mode, "tracing") == 0)
        rc = rc ? rc : s_tracing(frame);
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

/* The agent's frames: a sampling, a tracing and a failed profile. */
static int s_profiles(gen_t *gen, uint64_t ts)
{
    static const char *const jobs[][2] = {
        {"split", "sampling"}, {"fib", "tracing"}, {"broken", "sampling-failed"}};
    int rc = 0;
    for (size_t j = 0; j < 3 && rc == 0; j++) {
        char topic[256];
        pb_value_t *frame = s_prof(gen->opts, jobs[j][0], jobs[j][1], gen->prof_seq++, ts);
        rc = frame ? pb_frame_topic(topic, sizeof(topic), "prof", gen->opts->host, jobs[j][0])
                   : -ENOMEM;
        rc = rc ? rc : gen->fn(topic, frame, ts, gen->arg);
        pb_value_destroy(&frame);
    }
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
    if (o->profiles && i == o->samples / 2)
        rc = rc ? rc : s_profiles(gen, ts);
    return rc;
}

int pb_synth_generate(const pb_synth_opts_t *opts, pb_synth_fn *fn, void *arg)
{
    if (!opts->host || !(opts->interval_s > 0))
        return -EINVAL;
    gen_t gen = {opts, fn, arg, 0, 0, 0};
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
    pb_run_writer_set_seal(writer, opts->segment_seconds,
                           opts->format == 1 ? 0 : PB_RUN_DEFAULT_LEVEL);
    int rc = pb_synth_generate(opts, s_append, writer);
    rc = rc ? rc : pb_run_writer_flush(writer);
    if (rc == 0 && (size_t)snprintf(dir, size, "%s", pb_run_writer_dir(writer)) >= size)
        rc = -ENAMETOOLONG;
    pb_run_writer_destroy(&writer);
    return rc;
}

/* Frames reach the model as a run's records would: encoded. */
static int s_add_to_model(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    char err[128], *buf = NULL;
    size_t len = 0;
    (void)topic, (void)ts;
    int rc = pb_codec_encode(frame, &buf, &len);
    rc = rc ? rc : pb_model_add(arg, buf, len, NULL, err, sizeof err);
    free(buf);
    return rc;
}

int pb_synth_fill(const pb_synth_opts_t *opts, pb_model_t *model)
{
    return pb_synth_generate(opts, s_add_to_model, model);
}
