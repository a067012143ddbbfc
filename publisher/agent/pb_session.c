/* pb_session: one profiling job in one mode, over one or more runs, turned into a result map. */
#include "pb_session.h"

#include "pb_detail.h"
#include "pb_stacks.h"
#include "pb_symbols.h"
#include "pb_tracer.h"
#include "perfbus.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define S_RING_MAX  (1u << 17) /* samples kept per session at most */
#define S_FUNCTIONS 200        /* functions reported */
#define S_FOLDED    2000       /* folded stacks reported */
#define S_TREE      4000       /* call-tree nodes reported */

extern char **environ;

struct pb_session {
    pb_session_opts_t opts;
    pb_sampler_t *sampler;
    pb_tracer_t *tracer;
    pb_detail_t *detail;
    int run_slot; /* sampler slot of the open run */
    double run_t0, run_cpu0;
    double *walls; /* per run: wall s, then CPU s of the run's thread (-1 for a child) */
    size_t nruns, capruns;
    pb_value_t *details; /* detailed: one map per run */
};

static double s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *pb_session_mode_name(unsigned mode)
{
    switch (mode) {
    case PB_MODE_SAMPLING:
        return "sampling";
    case PB_MODE_TRACING:
        return "tracing";
    case PB_MODE_DETAILED:
        return "detailed";
    default:
        return "none";
    }
}

int pb_session_mode_parse(const char *name)
{
    static const unsigned modes[] = {PB_MODE_SAMPLING, PB_MODE_TRACING, PB_MODE_DETAILED};
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(name, pb_session_mode_name(modes[i])) == 0)
            return (int)modes[i];
    return -EINVAL;
}

static size_t s_ring_size(const pb_session_opts_t *o)
{
    double want = (double)o->hz * (o->max_seconds > 0 ? o->max_seconds : 1) * 3 + 1024;
    return want > S_RING_MAX ? S_RING_MAX : (size_t)want;
}

pb_session_t *pb_session_new(const pb_session_opts_t *opts)
{
    pb_session_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
    self->run_slot = -1;
    bool ok = true;
    if (opts->mode == PB_MODE_SAMPLING)
        ok = opts->hz > 0 &&
             (self->sampler = pb_sampler_new(opts->clock, opts->hz, s_ring_size(opts))) != NULL;
    else if (opts->mode == PB_MODE_TRACING)
        ok = (self->tracer = pb_tracer_new()) != NULL;
    else if (opts->mode == PB_MODE_DETAILED)
        ok = (self->detail = pb_detail_new(0.01)) != NULL &&
             (self->details = pb_value_array_new()) != NULL;
    if (!ok)
        pb_session_destroy(&self);
    return self;
}

void pb_session_destroy(pb_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_session_t *self = *self_p;
    pb_sampler_destroy(&self->sampler);
    pb_tracer_destroy(&self->tracer);
    pb_detail_destroy(&self->detail);
    pb_value_destroy(&self->details);
    free(self->walls);
    free(self);
    *self_p = NULL;
}

static double s_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_add_wall(pb_session_t *self, double wall, double cpu)
{
    if (self->nruns == self->capruns) {
        size_t cap = self->capruns ? self->capruns * 2 : 16;
        double *walls = realloc(self->walls, 2 * cap * sizeof *walls);
        if (!walls)
            return -ENOMEM;
        self->walls = walls;
        self->capruns = cap;
    }
    self->walls[2 * self->nruns] = wall;
    self->walls[2 * self->nruns + 1] = cpu;
    self->nruns++;
    return 0;
}

int pb_session_run_begin(pb_session_t *self, void *root, bool drop_root)
{
    int rc = 0;
    self->run_t0 = s_mono();
    self->run_cpu0 = s_thread_cpu();
    if (self->sampler) {
        rc = pb_sampler_thread_start(self->sampler, root, drop_root);
        self->run_slot = rc;
    } else if (self->tracer) {
        rc = pb_tracer_thread_start(self->tracer);
    } else if (self->detail) {
        rc = pb_detail_thread_begin(self->detail);
    }
    return rc < 0 ? rc : 0;
}

static int s_push_run(pb_session_t *self, const pb_detail_run_t *run)
{
    pb_value_t *v = pb_detail_run_value(run);
    return v ? pb_value_array_push(self->details, &v) : -ENOMEM;
}

int pb_session_run_end(pb_session_t *self)
{
    double wall = s_mono() - self->run_t0;
    double cpu = s_thread_cpu() - self->run_cpu0;
    int rc = 0;
    if (self->sampler && self->run_slot >= 0) {
        pb_sampler_thread_stop(self->sampler, self->run_slot);
        self->run_slot = -1;
    } else if (self->tracer) {
        pb_tracer_thread_stop();
    } else if (self->detail) {
        pb_detail_run_t run;
        pb_detail_thread_end(self->detail, &run);
        rc = s_push_run(self, &run);
    }
    int rc2 = s_add_wall(self, wall, cpu);
    return rc < 0 ? rc : rc2;
}

/* Waits for the child without reaping it, killing it at the deadline. */
static int s_wait_child(pid_t pid, double deadline)
{
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG) < 0)
            return -errno;
        if (info.si_pid == pid)
            return 0;
        if (s_mono() >= deadline) {
            kill(pid, SIGKILL);
            waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
            return -ETIMEDOUT;
        }
        struct timespec nap = {0, 2000000};
        nanosleep(&nap, NULL);
    }
}

int pb_session_child_run(pb_session_t *self, char *const argv[], double timeout_s, int *exit_code)
{
    pid_t pid = 0;
    double t0 = s_mono();
    /* A command's stdin and stdout are /dev/null: it must not read the host
     * process's input nor write into its output (a daemon's log); its stderr
     * is kept so that its complaints reach that log. */
    posix_spawn_file_actions_t io;
    posix_spawn_file_actions_init(&io);
    posix_spawn_file_actions_addopen(&io, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&io, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &io, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&io);
    if (rc != 0)
        return -rc;
    if (self->detail)
        pb_detail_child_begin(self->detail, pid);
    int waited = s_wait_child(pid, t0 + timeout_s);
    int status = 0;
    if (self->detail) {
        pb_detail_run_t run;
        rc = pb_detail_child_end(self->detail, pid, &status, &run);
        if (rc == 0 && waited == 0)
            rc = s_push_run(self, &run);
    } else {
        rc = waitpid(pid, &status, 0) < 0 ? -errno : 0;
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int rc2 = s_add_wall(self, s_mono() - t0, -1);
    return waited < 0 ? waited : rc < 0 ? rc : rc2;
}

int pb_session_join(pb_session_t *self, void *root)
{
    if (self->sampler) {
        int slot = pb_sampler_thread_start(self->sampler, root, false);
        return slot < 0 ? slot : slot + 1;
    }
    if (self->tracer) {
        int rc = pb_tracer_thread_start(self->tracer);
        return rc < 0 ? rc : 1;
    }
    return 0;
}

void pb_session_leave(pb_session_t *self, int token)
{
    if (token <= 0)
        return;
    if (self->sampler)
        pb_sampler_thread_stop(self->sampler, token - 1);
    else if (self->tracer)
        pb_tracer_thread_stop();
}

unsigned pb_session_runs(const pb_session_t *self)
{
    return (unsigned)self->nruns;
}

double pb_session_wall_s(const pb_session_t *self)
{
    double sum = 0;
    for (size_t i = 0; i < self->nruns; i++)
        sum += self->walls[2 * i];
    return sum;
}

/* Names a frame: the symbol, else "[module]", else "[unknown]". */
static const char *s_frame_name(const pb_symbol_t *sym, char *buf, size_t size)
{
    if (sym->name)
        return sym->name;
    if (!sym->module)
        return "[unknown]";
    const char *base = strrchr(sym->module, '/');
    snprintf(buf, size, "[%s]", base ? base + 1 : sym->module);
    return buf;
}

typedef struct {
    uint64_t frames, unnamed, truncated;
} s_quality_t;

static int s_add_sample(pb_stacks_t *stacks, pb_symbols_t *symbols, pb_sample_t sample,
                        s_quality_t *q)
{
    pb_frame_t frames[PB_SAMPLER_DEPTH + 1];
    char bufs[PB_SAMPLER_DEPTH][64];
    size_t n = 0;
    if (!sample.complete) {
        frames[n++] = (pb_frame_t){.name = "[truncated]"};
        q->truncated++;
    }
    for (unsigned j = sample.depth; j-- > 0;) {
        pb_symbol_t sym;
        pb_symbols_lookup(symbols, sample.pcs[j], j > 0, &sym);
        q->frames++;
        q->unnamed += sym.name == NULL;
        frames[n++] = (pb_frame_t){.name = s_frame_name(&sym, bufs[j], sizeof bufs[j]),
                                   .file = sym.file,
                                   .line = sym.line};
    }
    return pb_stacks_add(stacks, frames, n, 1);
}

static int s_put_stacks(pb_value_t *m, const pb_stacks_t *stacks, double seconds)
{
    pb_value_t *fns = pb_stacks_functions(stacks, seconds, S_FUNCTIONS);
    pb_value_t *folded = pb_stacks_folded(stacks, S_FOLDED);
    pb_value_t *tree = pb_stacks_tree(stacks, S_TREE);
    int rc = fns && folded && tree ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put(m, "functions", &fns);
    rc = rc ? rc : pb_value_map_put(m, "folded", &folded);
    rc = rc ? rc : pb_value_map_put(m, "tree", &tree);
    pb_value_destroy(&fns);
    pb_value_destroy(&folded);
    pb_value_destroy(&tree);
    return rc;
}

static int s_put_quality(pb_value_t *m, const pb_session_t *self, const s_quality_t *q,
                         double seconds)
{
    pb_sampler_totals_t t = pb_sampler_totals(self->sampler);
    int rc = pb_value_map_put_str(m, "clock", self->opts.clock == PB_CLOCK_CPU ? "cpu" : "wall");
    rc = rc ? rc : pb_value_map_put_uint(m, "hz_requested", self->opts.hz);
    rc = rc ? rc
            : pb_value_map_put_float(m, "hz_effective",
                                     seconds > 0 ? (double)t.received / seconds : 0);
    rc = rc ? rc : pb_value_map_put_float(m, "seconds", seconds);
    rc = rc ? rc : pb_value_map_put_float(m, "cpu_s", t.cpu_s);
    rc = rc ? rc : pb_value_map_put_float(m, "wall_s", t.wall_s);
    rc = rc ? rc
            : pb_value_map_put_uint(m, "samples_expected",
                                    (uint64_t)(seconds * self->opts.hz + 0.5));
    rc = rc ? rc : pb_value_map_put_uint(m, "samples_received", t.received);
    rc = rc ? rc : pb_value_map_put_uint(m, "samples_dropped", t.dropped);
    rc = rc ? rc : pb_value_map_put_uint(m, "unwind_truncated", q->truncated);
    rc = rc ? rc : pb_value_map_put_uint(m, "frames", q->frames);
    rc = rc ? rc : pb_value_map_put_uint(m, "frames_unnamed", q->unnamed);
    rc = rc ? rc : pb_value_map_put_uint(m, "threads", t.threads);
    return rc;
}

static pb_value_t *s_sampling(const pb_session_t *self)
{
    pb_symbols_t *symbols = pb_symbols_new();
    pb_stacks_t *stacks = pb_stacks_new();
    pb_value_t *m = pb_value_map_new();
    int rc = symbols && stacks && m ? 0 : -ENOMEM;
    s_quality_t q = {0};
    size_t n = pb_sampler_count(self->sampler);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_add_sample(stacks, symbols, pb_sampler_at(self->sampler, i), &q);
    pb_sampler_totals_t t = pb_sampler_totals(self->sampler);
    double seconds = self->opts.clock == PB_CLOCK_CPU ? t.cpu_s : t.wall_s;
    rc = rc ? rc : s_put_quality(m, self, &q, seconds);
    rc = rc ? rc : s_put_stacks(m, stacks, seconds);
    if (rc < 0)
        pb_value_destroy(&m);
    pb_stacks_destroy(&stacks);
    pb_symbols_destroy(&symbols);
    return m;
}

static pb_value_t *s_trace_fn(pb_symbols_t *symbols, const pb_trace_fn_t *f)
{
    pb_symbol_t sym;
    char buf[64], addr[32];
    pb_symbols_lookup(symbols, (uintptr_t)f->fn, 0, &sym);
    snprintf(addr, sizeof addr, "%p", f->fn);
    const char *name = sym.name     ? sym.name
                       : sym.module ? s_frame_name(&sym, buf, sizeof buf)
                                    : addr;
    pb_value_t *m = pb_value_map_new();
    int rc = m ? pb_value_map_put_str(m, "name", name) : -ENOMEM;
    if (rc == 0 && sym.file)
        rc = pb_value_map_put_str(m, "file", sym.file);
    if (rc == 0 && sym.file)
        rc = pb_value_map_put_uint(m, "line", (uint64_t)(sym.line > 0 ? sym.line : 0));
    rc = rc ? rc : pb_value_map_put_uint(m, "ncalls", f->ncalls);
    rc = rc ? rc : pb_value_map_put_uint(m, "primcalls", f->primcalls);
    rc = rc ? rc : pb_value_map_put_float(m, "tottime_s", f->tottime_s);
    rc = rc ? rc : pb_value_map_put_float(m, "cumtime_s", f->cumtime_s);
    rc = rc ? rc : pb_value_map_put_float(m, "percall_tottime_s", f->tottime_s / (double)f->ncalls);
    rc = rc ? rc
            : pb_value_map_put_float(m, "percall_cumtime_s",
                                     f->cumtime_s / (double)(f->primcalls ? f->primcalls : 1));
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

static pb_value_t *s_trace_fns(const pb_trace_fn_t *fns, long n, uint64_t *calls)
{
    pb_symbols_t *symbols = pb_symbols_new();
    pb_value_t *out = symbols ? pb_value_array_new() : NULL;
    for (long i = 0; out && i < n; i++) {
        *calls += fns[i].ncalls;
        pb_value_t *f = i < S_FUNCTIONS ? s_trace_fn(symbols, &fns[i]) : NULL;
        if (i < S_FUNCTIONS && (!f || pb_value_array_push(out, &f) < 0))
            pb_value_destroy(&out);
    }
    pb_symbols_destroy(&symbols);
    return out;
}

static pb_value_t *s_tracing(const pb_session_t *self)
{
    pb_trace_fn_t *fns = NULL;
    long n = pb_tracer_functions(self->tracer, &fns);
    uint64_t calls = 0;
    pb_value_t *list = n >= 0 ? s_trace_fns(fns, n, &calls) : NULL;
    pb_value_t *m = list ? pb_value_map_new() : NULL;
    int rc = m ? pb_value_map_put_str(m, "clock", "tsc") : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_float(m, "tsc_hz", pb_tracer_tsc_hz());
    rc = rc ? rc : pb_value_map_put_float(m, "hook_ns_per_call", pb_tracer_hook_ns());
    rc = rc ? rc : pb_value_map_put_uint(m, "calls", calls);
    rc = rc ? rc : pb_value_map_put_uint(m, "calls_lost", pb_tracer_lost(self->tracer));
    rc = rc ? rc : pb_value_map_put_uint(m, "threads", pb_tracer_threads(self->tracer));
    rc = rc ? rc : pb_value_map_put(m, "functions", &list);
    if (rc < 0)
        pb_value_destroy(&m);
    pb_value_destroy(&list);
    free(fns);
    return m;
}

static pb_value_t *s_detailed(const pb_session_t *self)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_t *runs = pb_value_dup(self->details);
    pb_value_t *series = pb_detail_series(self->detail);
    int rc = m && runs && series ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put(m, "runs", &runs);
    rc = rc ? rc : pb_value_map_put(m, "series", &series);
    pb_value_destroy(&runs);
    pb_value_destroy(&series);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

/* [one of the two figures of every run]; NULL on ENOMEM or when unknown. */
static pb_value_t *s_per_run(const pb_session_t *self, size_t which)
{
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < self->nruns; i++) {
        double v = self->walls[2 * i + which];
        pb_value_t *item = v >= 0 ? pb_value_float_new(v) : NULL;
        if (!item || pb_value_array_push(list, &item) < 0)
            pb_value_destroy(&list);
    }
    return list;
}

static int s_put_walls(const pb_session_t *self, pb_value_t *map)
{
    pb_value_t *walls = s_per_run(self, 0);
    pb_value_t *cpus = s_per_run(self, 1); /* NULL when a run was a child */
    int rc = walls ? pb_value_map_put_uint(map, "runs_done", self->nruns) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_float(map, "wall_s", pb_session_wall_s(self));
    rc = rc ? rc : pb_value_map_put(map, "run_wall_s", &walls);
    if (rc == 0 && cpus)
        rc = pb_value_map_put(map, "run_cpu_s", &cpus);
    pb_value_destroy(&walls);
    pb_value_destroy(&cpus);
    return rc;
}

int pb_session_result(pb_session_t *self, pb_value_t *map)
{
    int rc = s_put_walls(self, map);
    if (rc < 0 || self->opts.mode == 0)
        return rc;
    pb_value_t *section = self->sampler  ? s_sampling(self)
                          : self->tracer ? s_tracing(self)
                                         : s_detailed(self);
    if (!section)
        return -ENOMEM;
    return pb_value_map_put(map, pb_session_mode_name(self->opts.mode), &section);
}
