/* pb_sampler: timer-driven stack sampling of chosen threads into a preallocated ring. */
#include "pb_sampler.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Invariants: the signal handler only reads the interrupted thread's own
 * stack, bounded by [sp, stack top) and strictly increasing, and writes one
 * ring slot it reserved with an atomic increment. Slots beyond `capacity`
 * are counted as dropped. Nothing in the handler allocates or locks.
 * A wall-clock timer is one-shot and re-armed by the handler with a random
 * interval uniform in [0.5, 1.5) periods: a fixed period aliases with loops
 * whose period divides it (a 70/30 loop sampled at exactly 1 kHz read 66/34).
 * A CPU-time timer is periodic: the kernel only checks it at its tick
 * (250 Hz here), and a jittered one-shot would lose a tick per re-arm. */

typedef struct {
    pb_sampler_t *owner;
    atomic_int used; /* slot taken by a thread between start and stop */
    atomic_int active;
    timer_t timer;
    uintptr_t stack_lo, stack_hi, root;
    uint64_t rng; /* xorshift state for the next interval, handler-owned */
    bool drop_root;
    unsigned index;
    struct timespec cpu0, wall0;
} s_thread_t;

struct pb_sampler {
    pb_clock_t clock;
    unsigned hz;
    size_t capacity;
    size_t map_bytes;
    uintptr_t *pcs;    /* capacity * PB_SAMPLER_DEPTH */
    uint8_t *depth;    /* per slot */
    uint8_t *complete; /* per slot */
    uint8_t *thread;   /* per slot */
    atomic_ullong next, dropped;
    atomic_uint nthreads; /* slots ever used */
    pthread_mutex_t lock;
    pid_t tids[PB_SAMPLER_THREADS]; /* distinct threads sampled */
    unsigned ntids;
    double cpu_s, wall_s;
    s_thread_t threads[PB_SAMPLER_THREADS];
};

__attribute__((no_sanitize("address", "undefined"))) static unsigned
s_walk(const s_thread_t *t, uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *out,
       bool *complete)
{
    unsigned n = 0;
    uintptr_t lo = sp > t->stack_lo ? sp : t->stack_lo;
    out[n++] = pc;
    *complete = false;
    while (n < PB_SAMPLER_DEPTH) {
        if (fp == t->root) {
            *complete = true;
            break;
        }
        if (fp < lo || fp + 2 * sizeof(uintptr_t) > t->stack_hi || (fp & 7) != 0)
            break;
        const uintptr_t *frame = (const uintptr_t *)fp;
        out[n++] = frame[1];
        lo = fp + 2 * sizeof(uintptr_t);
        fp = frame[0];
    }
    if (*complete && t->drop_root && n > 1)
        n--;
    return n;
}

/* The next interval in ns: period * [0.5, 1.5), from the thread's xorshift. */
static long s_next_ns(uint64_t *rng, long period)
{
    uint64_t x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return period / 2 + (long)((x >> 11) % (uint64_t)period);
}

static void s_rearm(s_thread_t *t)
{
    if (t->owner->clock != PB_CLOCK_WALL)
        return;
    long ns = s_next_ns(&t->rng, 1000000000L / (long)t->owner->hz);
    struct itimerspec its = {.it_value = {ns / 1000000000L, ns % 1000000000L}};
    timer_settime(t->timer, 0, &its, NULL);
}

__attribute__((no_sanitize("address", "undefined"))) static void s_on_signal(int sig, siginfo_t *si,
                                                                             void *uctx)
{
    (void)sig;
    if (si->si_code != SI_TIMER || !si->si_value.sival_ptr)
        return;
    s_thread_t *t = si->si_value.sival_ptr;
    if (!atomic_load_explicit(&t->active, memory_order_acquire))
        return;
    int saved_errno = errno;
    pb_sampler_t *s = t->owner;
    unsigned long long slot = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
    if (slot >= s->capacity) {
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        s_rearm(t);
        errno = saved_errno;
        return;
    }
    const ucontext_t *uc = uctx;
    bool complete = false;
    unsigned n = s_walk(
        t, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], (uintptr_t)uc->uc_mcontext.gregs[REG_RBP],
        (uintptr_t)uc->uc_mcontext.gregs[REG_RSP], s->pcs + slot * PB_SAMPLER_DEPTH, &complete);
    s->depth[slot] = (uint8_t)n;
    s->complete[slot] = complete;
    s->thread[slot] = (uint8_t)t->index;
    s_rearm(t);
    errno = saved_errno;
}

static pthread_once_t s_install_once = PTHREAD_ONCE_INIT;
static int s_install_rc;

static void s_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = s_on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    s_install_rc = sigaction(SIGPROF, &sa, NULL) < 0 ? -errno : 0;
}

pb_sampler_t *pb_sampler_new(pb_clock_t clock, unsigned hz, size_t capacity)
{
    pthread_once(&s_install_once, s_install);
    if (s_install_rc < 0 || hz == 0 || capacity == 0)
        return NULL;
    pb_sampler_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->clock = clock;
    self->hz = hz;
    self->capacity = capacity;
    /* one anonymous mapping: untouched pages cost no RSS */
    self->map_bytes = capacity * (PB_SAMPLER_DEPTH * sizeof(uintptr_t) + 3);
    void *map =
        mmap(NULL, self->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        free(self);
        return NULL;
    }
    self->pcs = map;
    self->depth = (uint8_t *)(self->pcs + capacity * PB_SAMPLER_DEPTH);
    self->complete = self->depth + capacity;
    self->thread = self->complete + capacity;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void pb_sampler_destroy(pb_sampler_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sampler_t *self = *self_p;
    unsigned n = atomic_load(&self->nthreads);
    for (unsigned i = 0; i < n && i < PB_SAMPLER_THREADS; i++)
        if (atomic_exchange(&self->threads[i].active, 0))
            timer_delete(self->threads[i].timer);
    munmap(self->pcs, self->map_bytes);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

static int s_stack_range(s_thread_t *t)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    int rc = pthread_getattr_np(pthread_self(), &attr);
    if (rc != 0)
        return -rc;
    rc = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return -rc;
    t->stack_lo = (uintptr_t)addr;
    t->stack_hi = (uintptr_t)addr + size;
    return 0;
}

static int s_arm(pb_sampler_t *self, s_thread_t *t)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev._sigev_un._tid = gettid();
    sev.sigev_value.sival_ptr = t;
    clockid_t id = self->clock == PB_CLOCK_CPU ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
    if (timer_create(id, &sev, &t->timer) < 0)
        return -errno;
    struct timespec seed;
    clock_gettime(CLOCK_MONOTONIC, &seed);
    t->rng = ((uint64_t)seed.tv_nsec << 20) ^ (uint64_t)gettid() ^ 0x9E3779B97F4A7C15ull;
    long period = 1000000000L / (long)self->hz;
    long ns = s_next_ns(&t->rng, period);
    struct itimerspec its = {.it_value = {ns / 1000000000L, ns % 1000000000L}};
    if (self->clock == PB_CLOCK_CPU)
        its.it_interval = (struct timespec){period / 1000000000L, period % 1000000000L};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t->cpu0);
    clock_gettime(CLOCK_MONOTONIC, &t->wall0);
    atomic_store_explicit(&t->active, 1, memory_order_release);
    if (timer_settime(t->timer, 0, &its, NULL) < 0) {
        int rc = -errno;
        atomic_store(&t->active, 0);
        timer_delete(t->timer);
        return rc;
    }
    return 0;
}

/* Claims a free slot (a run's slot is reused by the next run). */
static int s_claim(pb_sampler_t *self)
{
    for (int i = 0; i < PB_SAMPLER_THREADS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&self->threads[i].used, &expected, 1)) {
            unsigned n = atomic_load(&self->nthreads);
            while (n < (unsigned)i + 1 && !atomic_compare_exchange_weak(&self->nthreads, &n, i + 1))
                ;
            return i;
        }
    }
    return -EMFILE;
}

static void s_note_thread(pb_sampler_t *self, pid_t tid)
{
    pthread_mutex_lock(&self->lock);
    unsigned i = 0;
    while (i < self->ntids && self->tids[i] != tid)
        i++;
    if (i == self->ntids && i < PB_SAMPLER_THREADS)
        self->tids[self->ntids++] = tid;
    pthread_mutex_unlock(&self->lock);
}

int pb_sampler_thread_start(pb_sampler_t *self, void *root, bool drop_root)
{
    int slot = s_claim(self);
    if (slot < 0)
        return slot;
    s_note_thread(self, gettid());
    s_thread_t *t = &self->threads[slot];
    t->owner = self;
    t->index = slot;
    t->root = (uintptr_t)root;
    t->drop_root = drop_root;
    int rc = s_stack_range(t);
    if (rc == 0)
        rc = s_arm(self, t);
    if (rc < 0)
        atomic_store(&t->used, 0);
    return rc < 0 ? rc : slot;
}

static double s_since(clockid_t id, const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(id, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

int pb_sampler_thread_stop(pb_sampler_t *self, int slot)
{
    if (slot < 0 || slot >= PB_SAMPLER_THREADS)
        return -EINVAL;
    s_thread_t *t = &self->threads[slot];
    if (!atomic_exchange(&t->active, 0))
        return -EINVAL;
    timer_delete(t->timer);
    double cpu = s_since(CLOCK_THREAD_CPUTIME_ID, &t->cpu0);
    double wall = s_since(CLOCK_MONOTONIC, &t->wall0);
    pthread_mutex_lock(&self->lock);
    self->cpu_s += cpu;
    self->wall_s += wall;
    pthread_mutex_unlock(&self->lock);
    atomic_store(&t->used, 0);
    return 0;
}

size_t pb_sampler_count(const pb_sampler_t *self)
{
    unsigned long long n = atomic_load(&((pb_sampler_t *)self)->next);
    return n < self->capacity ? (size_t)n : self->capacity;
}

pb_sample_t pb_sampler_at(const pb_sampler_t *self, size_t i)
{
    pb_sample_t s = {
        .pcs = self->pcs + i * PB_SAMPLER_DEPTH,
        .depth = self->depth[i],
        .thread = self->thread[i],
        .complete = self->complete[i] != 0,
    };
    return s;
}

pb_sampler_totals_t pb_sampler_totals(const pb_sampler_t *self)
{
    pb_sampler_t *mut = (pb_sampler_t *)self;
    pb_sampler_totals_t out = {
        .received = pb_sampler_count(self),
        .dropped = atomic_load(&mut->dropped),
    };
    pthread_mutex_lock(&mut->lock);
    out.threads = self->ntids;
    out.cpu_s = self->cpu_s;
    out.wall_s = self->wall_s;
    pthread_mutex_unlock(&mut->lock);
    return out;
}
