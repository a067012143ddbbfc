/* pb_tracer: exact call counts and times from -finstrument-functions hooks. */
#include "pb_tracer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

/* Each traced thread owns a shadow stack and an open-addressing table of
 * functions, reached through one initial-exec TLS pointer: the hooks cost a
 * TLS load and a branch when the thread is not traced. A frame remembers its
 * table entry, entry TSC and the time spent in callees; `active` counts the
 * open frames of a function so that cumtime is only added when the outermost
 * one closes (cProfile's rule). Frames opened before tracing started are
 * ignored on exit (depth 0). Thread states are freed with the tracer. */

#define S_DEPTH 4096
#define S_SLOTS 4096

typedef struct {
    void *fn;
    uint64_t ncalls, primcalls, tot, cum;
    uint32_t active;
} s_stat_t;

typedef struct {
    s_stat_t *stat;
    uint64_t t0, child;
} s_frame_t;

typedef struct s_thread {
    s_stat_t stats[S_SLOTS];
    s_frame_t stack[S_DEPTH];
    unsigned depth;
    uint64_t lost;
    struct s_thread *next;
} s_thread_t;

struct pb_tracer {
    uint64_t gen; /* tells tracers apart even when one reuses another's address */
    pthread_mutex_t lock;
    s_thread_t *threads;
    unsigned nthreads;
};

static __thread s_thread_t *s_current __attribute__((tls_model("initial-exec")));
/* The state this thread used last and its tracer's generation: a thread that
 * runs several runs of one job keeps one state. */
static __thread s_thread_t *s_last;
static __thread uint64_t s_last_gen;
static atomic_ullong s_gens;

void __cyg_profile_func_enter(void *fn, void *site)
    __attribute__((no_instrument_function, noinline));
void __cyg_profile_func_exit(void *fn, void *site)
    __attribute__((no_instrument_function, noinline));

__attribute__((no_instrument_function)) static inline s_stat_t *s_lookup(s_thread_t *t, void *fn)
{
    size_t i = ((uintptr_t)fn >> 4) & (S_SLOTS - 1);
    for (size_t probes = 0; probes < S_SLOTS / 2; probes++) {
        s_stat_t *st = &t->stats[i];
        if (st->fn == fn)
            return st;
        if (st->fn == NULL) {
            st->fn = fn;
            return st;
        }
        i = (i + 1) & (S_SLOTS - 1);
    }
    return NULL;
}

void __cyg_profile_func_enter(void *fn, void *site)
{
    (void)site;
    s_thread_t *t = s_current;
    if (__builtin_expect(t == NULL, 1))
        return;
    uint64_t now = __rdtsc();
    if (t->depth >= S_DEPTH) {
        t->depth++;
        t->lost++;
        return;
    }
    s_frame_t *f = &t->stack[t->depth++];
    f->stat = s_lookup(t, fn);
    f->child = 0;
    f->t0 = now;
    if (f->stat)
        f->stat->active++;
    else
        t->lost++;
}

void __cyg_profile_func_exit(void *fn, void *site)
{
    (void)fn;
    (void)site;
    s_thread_t *t = s_current;
    if (__builtin_expect(t == NULL, 1))
        return;
    uint64_t now = __rdtsc();
    if (t->depth == 0)
        return;
    if (--t->depth >= S_DEPTH)
        return;
    s_frame_t *f = &t->stack[t->depth];
    uint64_t elapsed = now - f->t0;
    s_stat_t *st = f->stat;
    if (st) {
        st->ncalls++;
        st->tot += elapsed > f->child ? elapsed - f->child : 0;
        if (--st->active == 0) {
            st->cum += elapsed;
            st->primcalls++;
        }
    }
    if (t->depth > 0)
        t->stack[t->depth - 1].child += elapsed;
}

static pthread_once_t s_calibrate_once = PTHREAD_ONCE_INIT;
static double s_tsc_hz, s_hook_ns;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Times the hooks on a scratch thread state through volatile pointers, so
 * the calls are real calls as in instrumented code; the best of 20 batches,
 * so that preemption by other load does not count as hook cost. */
static void s_measure_hooks(void)
{
    s_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        return;
    void (*volatile enter)(void *, void *) = __cyg_profile_func_enter;
    void (*volatile leave)(void *, void *) = __cyg_profile_func_exit;
    s_thread_t *saved = s_current;
    s_current = t;
    const int n = 10000;
    s_hook_ns = 1e9;
    for (int batch = 0; batch < 20; batch++) {
        double t0 = s_now();
        for (int i = 0; i < n; i++) {
            enter((void *)s_measure_hooks, NULL);
            leave((void *)s_measure_hooks, NULL);
        }
        double ns = (s_now() - t0) * 1e9 / n;
        s_hook_ns = ns < s_hook_ns ? ns : s_hook_ns;
    }
    s_current = saved;
    free(t);
}

static void s_calibrate(void)
{
    double w0 = s_now();
    uint64_t c0 = __rdtsc();
    while (s_now() - w0 < 0.02)
        ;
    uint64_t c1 = __rdtsc();
    s_tsc_hz = (double)(c1 - c0) / (s_now() - w0);
    s_measure_hooks();
}

double pb_tracer_hook_ns(void)
{
    pthread_once(&s_calibrate_once, s_calibrate);
    return s_hook_ns;
}

double pb_tracer_tsc_hz(void)
{
    pthread_once(&s_calibrate_once, s_calibrate);
    return s_tsc_hz;
}

pb_tracer_t *pb_tracer_new(void)
{
    pthread_once(&s_calibrate_once, s_calibrate);
    pb_tracer_t *self = calloc(1, sizeof *self);
    if (self) {
        pthread_mutex_init(&self->lock, NULL);
        self->gen = atomic_fetch_add(&s_gens, 1) + 1;
    }
    return self;
}

void pb_tracer_destroy(pb_tracer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_tracer_t *self = *self_p;
    for (s_thread_t *t = self->threads, *next; t; t = next) {
        next = t->next;
        if (s_current == t)
            s_current = NULL;
        free(t);
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int pb_tracer_thread_start(pb_tracer_t *self)
{
    if (s_current)
        return -EBUSY;
    if (s_last && s_last_gen == self->gen) {
        s_last->depth = 0;
        s_current = s_last;
        return 0;
    }
    s_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    pthread_mutex_lock(&self->lock);
    t->next = self->threads;
    self->threads = t;
    self->nthreads++;
    pthread_mutex_unlock(&self->lock);
    s_current = t;
    s_last = t;
    s_last_gen = self->gen;
    return 0;
}

void pb_tracer_thread_stop(void)
{
    s_current = NULL;
}

static int s_by_fn(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const s_stat_t *)a)->fn, y = (uintptr_t)((const s_stat_t *)b)->fn;
    return x < y ? -1 : x > y;
}

static int s_by_cum(const void *a, const void *b)
{
    double x = ((const pb_trace_fn_t *)a)->cumtime_s, y = ((const pb_trace_fn_t *)b)->cumtime_s;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Copies every used table entry of every thread into one array. */
static size_t s_gather(const pb_tracer_t *self, s_stat_t **out_p)
{
    size_t n = 0;
    s_stat_t *all = malloc((size_t)self->nthreads * S_SLOTS * sizeof *all + 1);
    for (const s_thread_t *t = self->threads; all && t; t = t->next)
        for (size_t i = 0; i < S_SLOTS; i++)
            if (t->stats[i].fn && t->stats[i].ncalls)
                all[n++] = t->stats[i];
    *out_p = all;
    return n;
}

long pb_tracer_functions(const pb_tracer_t *self, pb_trace_fn_t **out_p)
{
    s_stat_t *all = NULL;
    size_t n = s_gather(self, &all);
    pb_trace_fn_t *out = all ? calloc(n + 1, sizeof *out) : NULL;
    if (!out) {
        free(all);
        return -ENOMEM;
    }
    qsort(all, n, sizeof *all, s_by_fn);
    double hz = pb_tracer_tsc_hz();
    long m = -1;
    for (size_t i = 0; i < n; i++) {
        if (m < 0 || out[m].fn != all[i].fn)
            out[++m].fn = all[i].fn;
        out[m].ncalls += all[i].ncalls;
        out[m].primcalls += all[i].primcalls;
        out[m].tottime_s += (double)all[i].tot / hz;
        out[m].cumtime_s += (double)all[i].cum / hz;
    }
    free(all);
    qsort(out, (size_t)(m + 1), sizeof *out, s_by_cum);
    *out_p = out;
    return m + 1;
}

uint64_t pb_tracer_lost(const pb_tracer_t *self)
{
    uint64_t lost = 0;
    for (const s_thread_t *t = self->threads; t; t = t->next)
        lost += t->lost;
    return lost;
}

unsigned pb_tracer_threads(const pb_tracer_t *self)
{
    return self->nthreads;
}
