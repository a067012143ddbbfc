/* pb_agent: the libperfbus agent's lifecycle, target registry, worker thread, sections and fault
 * catching. */
#include "pb_ipclock.h"
#include "pb_agent_impl.h"

#include "pb_curve.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Threads: the caller's (new/register/destroy, sections), the socket thread
 * (all ZeroMQ I/O, pb_agent_ops.c) and a worker that runs targets. A job
 * owns the profiler from acceptance until DONE (`busy`); only one at a time.
 * An in-process run cannot be interrupted, so a job still running past its
 * deadline (or cancelled) is abandoned: a new worker takes the queue, the
 * old one finishes that job when the target returns and then exits, and the
 * target is refused while it runs. Workers are detached and counted; destroy
 * waits for the count to reach zero.
 * A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL) on the worker inside a target
 * jumps back with siglongjmp: the target is marked crashed and refused from
 * then on, because whatever it held (locks, heap state, half-written data)
 * is unknown. Faults elsewhere go to the handler that was installed before. */

static __thread sigjmp_buf *s_fault_jmp;
static const int s_fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
static struct sigaction s_fault_old[4];
static pthread_once_t s_fault_once = PTHREAD_ONCE_INIT;

static void s_on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    sigjmp_buf *jb = s_fault_jmp;
    if (jb) {
        s_fault_jmp = NULL;
        siglongjmp(*jb, sig);
    }
    for (size_t i = 0; i < 4; i++)
        if (s_fault_signals[i] == sig)
            sigaction(sig, &s_fault_old[i], NULL); /* re-faults under the old handler */
}

static void s_install_fault_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = s_on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 4; i++)
        sigaction(s_fault_signals[i], &sa, &s_fault_old[i]);
}

double pb_agent_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pb_agent_wake(pb_agent_t *self)
{
    uint64_t one = 1;
    if (write(self->wakefd, &one, sizeof one) < 0) {
        /* the counter is already non-zero: the socket thread will wake */
    }
}

/* One run of an in-process target. noinline: its frame is the walk's root. */
__attribute__((noinline)) static int s_run_function(pb_job_t *job)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) != 0) {
        s_fault_jmp = NULL;
        pb_session_run_end(job->session);
        return -EFAULT;
    }
    if (pb_session_run_begin(job->session, __builtin_frame_address(0), true) < 0)
        return -EIO;
    s_fault_jmp = &jb;
    job->target->fn(job->target->arg);
    s_fault_jmp = NULL;
    return pb_session_run_end(job->session);
}

/* One run; a command child is killed at the job's deadline. */
static int s_run_once(pb_job_t *job)
{
    if (!job->target->argv)
        return s_run_function(job);
    int code = 0;
    double left = job->deadline - pb_agent_now();
    int rc =
        pb_session_child_run(job->session, job->target->argv, left > 0.01 ? left : 0.01, &code);
    if (rc == 0 && code == 127)
        rc = -ENOEXEC;
    return rc;
}

__attribute__((format(printf, 3, 4))) static void s_fail(pb_job_t *job, const char *code,
                                                         const char *fmt, ...)
{
    snprintf(job->code, sizeof job->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->message, sizeof job->message, fmt, ap);
    va_end(ap);
}

/* Records why a run failed; a fault also marks the target crashed. */
static void s_run_failed(pb_agent_t *self, pb_job_t *job, int rc)
{
    if (rc == -EFAULT) {
        pthread_mutex_lock(&self->lock);
        job->target->crashed = true;
        pthread_mutex_unlock(&self->lock);
        s_fail(job, "crashed",
               "target '%s' crashed (fatal signal on the worker); it is refused from now on",
               job->name);
    } else if (rc == -ETIMEDOUT) {
        s_fail(job, "timeout", "command target '%s' killed at max_seconds + grace", job->name);
    } else if (rc == -ENOEXEC) {
        s_fail(job, "internal", "command target '%s' could not be executed (exit 127)", job->name);
    } else {
        s_fail(job, "internal", "target '%s' failed: %s", job->name, strerror(-rc));
    }
}

/* Runs up to job->runs runs, starting none after max_seconds or a cancel.
 * Returns why it stopped ("runs", "budget", "cancelled"), or NULL when a run
 * failed. */
static const char *s_run_all(pb_agent_t *self, pb_job_t *job)
{
    double started = pb_agent_now();
    pb_agent_join_set(job->session);
    const char *stopped = "runs";
    for (unsigned i = 0; i < job->runs && stopped; i++) {
        if (atomic_load(&job->stop)) {
            stopped = atomic_load(&job->stop);
            break;
        }
        if (i > 0 && pb_agent_now() - started >= job->max_seconds) {
            stopped = "budget";
            break;
        }
        int rc = s_run_once(job);
        if (rc < 0) {
            s_run_failed(self, job, rc);
            stopped = NULL;
        }
    }
    pb_agent_join_clear(job->session);
    return stopped;
}

static void s_finish(pb_job_t *job, const char *stopped)
{
    pb_value_t *m = pb_value_map_new();
    int rc = m ? pb_value_map_put_uint(m, "id", job->id) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(m, job->target ? "target" : "section", job->name);
    rc = rc ? rc : pb_value_map_put_str(m, "mode", pb_session_mode_name(job->opts.mode));
    if (job->target) {
        rc = rc ? rc : pb_value_map_put_uint(m, "runs_requested", job->runs);
        rc = rc ? rc : pb_value_map_put_float(m, "max_seconds", job->max_seconds);
        rc = rc ? rc : pb_value_map_put_str(m, "stopped", stopped);
    } else {
        rc = rc ? rc : pb_value_map_put_uint(m, "count", job->count);
        rc = rc ? rc : pb_value_map_put_float(m, "max_seconds", job->max_seconds);
        rc = rc ? rc : pb_value_map_put_str(m, "stopped", stopped);
    }
    rc = rc ? rc : pb_session_result(job->session, m);
    if (rc < 0) {
        pb_value_destroy(&m);
        s_fail(job, "internal", "out of memory while building the result");
    }
    job->result = m;
}

static void s_execute(pb_agent_t *self, pb_job_t *job)
{
    if (!job->session)
        job->session = pb_session_new(&job->opts);
    if (!job->session) {
        s_fail(job, "internal", "cannot set up the profiler (out of memory or timers)");
        return;
    }
    const char *early = atomic_load(&job->stop);
    const char *stopped = job->target ? s_run_all(self, job) : early ? early : "count";
    if (stopped)
        s_finish(job, stopped);
    pb_session_destroy(&job->session);
}

/* Gives the worker an alternate signal stack (so a stack overflow in a
 * target is caught too) unless one is set already (sanitizers set their own);
 * returns true when it installed one, to be removed before the thread ends. */
static bool s_alt_stack(void)
{
    static __thread char stack[64 * 1024];
    stack_t old;
    if (sigaltstack(NULL, &old) < 0 || !(old.ss_flags & SS_DISABLE))
        return false;
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack};
    return sigaltstack(&ss, NULL) == 0;
}

/* Under the lock: the next queued job, or NULL after a wait. */
static pb_job_t *s_next_job(pb_agent_t *self)
{
    pb_job_t *job = self->queue_head;
    if (!job) {
        pthread_cond_wait(&self->cond, &self->lock);
        return NULL;
    }
    self->queue_head = job->next;
    if (!self->queue_head)
        self->queue_tail = NULL;
    job->state = PB_JOB_RUNNING;
    if (job->target)
        job->target->running = true;
    return job;
}

/* Under the lock: runs one job (unlocked meanwhile); true when this worker
 * was replaced while it ran and must now exit. */
static bool s_work(pb_agent_t *self, pb_job_t *job)
{
    pthread_mutex_unlock(&self->lock);
    s_execute(self, job);
    pthread_mutex_lock(&self->lock);
    if (job->target)
        job->target->running = false;
    job->state = PB_JOB_DONE;
    if (self->busy == job)
        self->busy = NULL;
    self->jobs_done++;
    pb_agent_wake(self);
    return job->abandoned;
}

static void *s_worker(void *arg)
{
    pb_agent_t *self = arg;
    bool alt = s_alt_stack(), retired = false;
    pthread_mutex_lock(&self->lock);
    while (!retired && !atomic_load(&self->stopping)) {
        pb_job_t *job = s_next_job(self);
        if (job)
            retired = s_work(self, job);
    }
    if (alt) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    }
    self->workers--;
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

int pb_agent_worker_start(pb_agent_t *self)
{
    pthread_attr_t attr;
    pthread_t tid;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&tid, &attr, s_worker, self);
        pthread_attr_destroy(&attr);
    }
    if (rc == 0)
        self->workers++;
    return -rc;
}

int pb_agent_abandon_run(pb_agent_t *self, pb_job_t *job)
{
    if (job->state != PB_JOB_RUNNING || job->abandoned || !job->target)
        return -EINVAL;
    int rc = pb_agent_worker_start(self);
    if (rc < 0)
        return rc;
    job->abandoned = true;
    if (self->busy == job)
        self->busy = NULL;
    return 0;
}

void pb_agent_enqueue(pb_agent_t *self, pb_job_t *job)
{
    job->next = NULL;
    if (self->queue_tail)
        self->queue_tail->next = job;
    else
        self->queue_head = job;
    self->queue_tail = job;
    self->busy = job;
    pthread_cond_broadcast(&self->cond);
}

void pb_agent_enqueue_result(pb_agent_t *self, pb_job_t *job)
{
    pb_agent_enqueue(self, job);
    self->busy = NULL;
}

int pb_agent_remember(pb_agent_t *self, pb_job_t *job)
{
    if (self->njobs == PB_AGENT_JOBS) {
        size_t i = 0;
        while (i < self->njobs &&
               !(self->jobs[i]->state == PB_JOB_DONE && self->jobs[i]->delivered))
            i++;
        if (i == self->njobs)
            return -EBUSY;
        pb_agent_job_free(&self->jobs[i]);
        memmove(&self->jobs[i], &self->jobs[i + 1], (self->njobs - i - 1) * sizeof self->jobs[0]);
        self->njobs--;
    }
    self->jobs[self->njobs++] = job;
    return 0;
}

void pb_agent_job_free(pb_job_t **job_p)
{
    if (!job_p || !*job_p)
        return;
    pb_job_t *job = *job_p;
    pb_rpc_peer_destroy(&job->peer);
    pb_session_destroy(&job->session);
    pb_value_destroy(&job->result);
    free(job->name);
    free(job);
    *job_p = NULL;
}

pb_target_t *pb_agent_find(pb_agent_t *self, const char *name)
{
    for (size_t i = 0; i < self->ntargets; i++)
        if (strcmp(self->targets[i]->name, name) == 0)
            return self->targets[i];
    return NULL;
}

static void s_target_free(pb_target_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->argv && t->argv[i]; i++)
        free(t->argv[i]);
    free(t->argv);
    free(t->name);
    free(t->description);
    free(t);
}

static int s_add_target(pb_agent_t *self, pb_target_t *t)
{
    pthread_mutex_lock(&self->lock);
    int rc = pb_agent_find(self, t->name) ? -EEXIST : 0;
    pb_target_t **targets = NULL;
    if (rc == 0) {
        targets = realloc(self->targets, (self->ntargets + 1) * sizeof *targets);
        rc = targets ? 0 : -ENOMEM;
    }
    if (rc == 0) {
        self->targets = targets;
        self->targets[self->ntargets++] = t;
    }
    pthread_mutex_unlock(&self->lock);
    return rc;
}

static pb_target_t *s_target_new(const char *name, const char *description, unsigned modes)
{
    pb_target_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = strdup(name);
    t->description = strdup(description ? description : "");
    t->modes = modes & PB_MODE_ALL ? modes & PB_MODE_ALL : PB_MODE_ALL;
    t->enabled = !(modes & PB_TARGET_DISABLED);
    if (!t->name || !t->description) {
        s_target_free(t);
        return NULL;
    }
    return t;
}

int pb_agent_register(pb_agent_t *self, const char *name, pb_agent_fn *fn, void *arg,
                      unsigned modes, const char *description)
{
    if (!self || !name || !*name || !fn)
        return -EINVAL;
    pb_target_t *t = s_target_new(name, description, modes);
    if (!t)
        return -ENOMEM;
    t->fn = fn;
    t->arg = arg;
    int rc = s_add_target(self, t);
    if (rc < 0)
        s_target_free(t);
    return rc;
}

static char **s_argv_dup(char *const argv[])
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        out[i] = strdup(argv[i]);
        if (!out[i]) {
            while (i-- > 0)
                free(out[i]);
            free(out);
            out = NULL;
        }
    }
    return out;
}

int pb_agent_register_command(pb_agent_t *self, const char *name, char *const argv[],
                              const char *description)
{
    if (!self || !name || !*name || !argv || !argv[0] || !*argv[0])
        return -EINVAL;
    pb_target_t *t = s_target_new(name, description, PB_MODE_DETAILED);
    char **copy = t ? s_argv_dup(argv) : NULL;
    if (!copy) {
        s_target_free(t);
        return -ENOMEM;
    }
    t->argv = copy;
    int rc = s_add_target(self, t);
    if (rc < 0)
        s_target_free(t);
    return rc;
}

static bool s_insecure(const pb_agent_config_t *c)
{
    const char *env = getenv("PERFBUS_INSECURE");
    return c->insecure > 0 || (c->insecure == 0 && env && strcmp(env, "1") == 0);
}

static int s_bind(pb_agent_t *self, void *sock, const char *endpoint, const char *what,
                  char **bound, char *err, size_t errlen)
{
    char buf[256];
    size_t len = sizeof buf;
    int rc = pb_curve_check_bind(endpoint, self->curve, s_insecure(&self->cfg), what, err, errlen);
    rc = rc ? rc
            : pb_ipc_lock(endpoint, what, &self->ipc_locks[sock == self->router ? 0 : 1], err,
                          errlen);
    if (rc < 0)
        return rc;
    if (zmq_bind(sock, endpoint) < 0 || zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, buf, &len) < 0)
        return -errno;
    *bound = strdup(buf);
    return *bound ? 0 : -ENOMEM;
}

static const char *s_setting(const char *given, const char *env)
{
    const char *v = given ? given : getenv(env);
    return v && *v ? v : NULL;
}

/* Both sockets become CURVE servers when a certificate and an allow
 * directory are configured. */
static int s_curve(pb_agent_t *self, char *err, size_t errlen)
{
    const char *secret = s_setting(self->cfg.curve_secret, "PERFBUS_CURVE_SECRET");
    const char *dir = s_setting(self->cfg.curve_allow, "PERFBUS_CURVE_ALLOW");
    if (!secret && !dir)
        return 0;
    if (!secret || !dir) {
        snprintf(err, errlen,
                 "CURVE needs both a certificate (curve_secret, "
                 "PERFBUS_CURVE_SECRET) and an allow directory (curve_allow, "
                 "PERFBUS_CURVE_ALLOW)");
        return -EINVAL;
    }
    pb_curve_cert_t own;
    int rc = pb_curve_cert_load(&own, secret, err, errlen);
    pb_curve_allow_t *allow = rc < 0 ? NULL : pb_curve_allow_new(dir, err, errlen);
    if (!allow)
        return rc < 0 ? rc : -EINVAL;
    pb_zap_set_allow(self->router_cap, &allow);
    rc = pb_curve_apply_server(self->router, &own);
    rc = rc ? rc : pb_curve_apply_server(self->pub, &own);
    self->curve = rc == 0;
    if (rc < 0)
        snprintf(err, errlen, "cannot make the sockets CURVE servers: %s", zmq_strerror(-rc));
    return rc;
}

/* PERFBUS_MAX_CONNECTIONS, else the default; a bad value is reported, not fatal:
 * the application starts either way. */
static unsigned s_env_max_connections(void)
{
    const char *text = getenv("PERFBUS_MAX_CONNECTIONS");
    size_t cap = PB_ZAP_DEFAULT_CAP;
    if (text && pb_zap_parse_cap(text, &cap) < 0) {
        fprintf(stderr,
                "perfbus: PERFBUS_MAX_CONNECTIONS='%.40s' is not a whole number 1..%d; "
                "using %d\n",
                text, PB_ZAP_MAX_CAP, PB_ZAP_DEFAULT_CAP);
        cap = PB_ZAP_DEFAULT_CAP;
    }
    return (unsigned)cap;
}

static int s_defaults(pb_agent_t *self, const pb_agent_config_t *config)
{
    if (config)
        self->cfg = *config;
    pb_agent_config_t *c = &self->cfg;
    c->max_runs = c->max_runs ? c->max_runs : 1000;
    c->max_seconds = c->max_seconds > 0 ? c->max_seconds : 60;
    c->max_hz = c->max_hz ? c->max_hz : 10000;
    c->timeout_grace_s = c->timeout_grace_s > 0 ? c->timeout_grace_s : 1.0;
    c->max_connections = c->max_connections ? c->max_connections : s_env_max_connections();
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    self->host = strdup(c->host && *c->host ? c->host : host);
    snprintf(self->src, sizeof self->src, "agent-%d-%lx", (int)getpid(),
             (unsigned long)(pb_agent_now() * 1e6) & 0xffffffu);
    return self->host ? 0 : -ENOMEM;
}

/* Monitors and the ZAP handler: the ROUTER capped, both sockets' keys checked. */
static int s_guard(pb_agent_t *self)
{
    self->router_mon = pb_sockmon_new(self->ctx, self->router);
    self->pub_mon = pb_sockmon_new(self->ctx, self->pub);
    self->router_cap = self->router_mon && self->pub_mon
                           ? pb_zap_new(self->ctx, self->router, self->router_mon,
                                        self->cfg.max_connections, "profiling")
                           : NULL;
    if (!self->router_cap)
        return errno ? -errno : -ENOMEM;
    pb_sockmon_set_name(self->router_mon, "profiling");
    pb_sockmon_set_name(self->pub_mon, "profiling pub");
    return pb_zap_add(self->router_cap, self->pub, NULL, 0, "profiling pub");
}

static int s_open(pb_agent_t *self, char *err, size_t errlen)
{
    const pb_agent_config_t *c = &self->cfg;
    int linger = 0;
    self->ctx = zmq_ctx_new();
    self->router = self->ctx ? zmq_socket(self->ctx, ZMQ_ROUTER) : NULL;
    self->pub = self->ctx ? zmq_socket(self->ctx, ZMQ_PUB) : NULL;
    self->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!self->router || !self->pub || self->wakefd < 0)
        return -ENOMEM;
    zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pub, ZMQ_LINGER, &linger, sizeof linger);
    pb_rpc_limit_socket(self->router, PB_RPC_REQUESTS);
    int rc = s_guard(self);
    rc = rc ? rc : s_curve(self, err, errlen);
    rc = rc ? rc
            : s_bind(self, self->router, c->endpoint ? c->endpoint : "tcp://127.0.0.1:*",
                     "the agent's ROUTER", &self->endpoint, err, errlen);
    rc = rc ? rc
            : s_bind(self, self->pub, c->pub_endpoint ? c->pub_endpoint : "tcp://127.0.0.1:*",
                     "the agent's PUB", &self->pub_endpoint, err, errlen);
    return rc;
}

/* Why the setup failed, where the caller asked for it (else on stderr). */
static void s_report(const pb_agent_config_t *config, const char *why)
{
    if (!why[0])
        return;
    if (config && config->error && config->error_len)
        snprintf(config->error, config->error_len, "%s", why);
    else
        fprintf(stderr, "perfbus: %s\n", why);
}

pb_agent_t *pb_agent_new(const pb_agent_config_t *config)
{
    pthread_once(&s_fault_once, s_install_fault_handlers);
    pb_agent_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->wakefd = -1;
    self->ipc_locks[0] = self->ipc_locks[1] = -1;
    self->started = pb_agent_now();
    self->next_id = 1;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->cond, NULL);
    char why[512] = "";
    int rc = s_defaults(self, config);
    rc = rc ? rc : s_open(self, why, sizeof why);
    s_report(config, why);
    pthread_mutex_lock(&self->lock);
    rc = rc ? rc : pb_agent_worker_start(self);
    pthread_mutex_unlock(&self->lock);
    rc = rc ? rc : -pthread_create(&self->socket_thread, NULL, pb_agent_serve, self);
    self->socket_started = rc == 0;
    if (self->socket_started) /* for top -H, and for tests that watch the thread */
        pthread_setname_np(self->socket_thread, "pb-agent");
    if (rc < 0) {
        pb_agent_destroy(&self);
        errno = -rc;
    }
    return self;
}

static void s_stop_threads(pb_agent_t *self)
{
    atomic_store(&self->stopping, true);
    pthread_mutex_lock(&self->lock);
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
    if (self->wakefd >= 0)
        pb_agent_wake(self);
    if (self->socket_started)
        pthread_join(self->socket_thread, NULL);
    pthread_mutex_lock(&self->lock);
    while (self->workers > 0) /* a hung target is waited for */
        pthread_cond_wait(&self->cond, &self->lock);
    pthread_mutex_unlock(&self->lock);
}

void pb_agent_destroy(pb_agent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_agent_t *self = *self_p;
    s_stop_threads(self);
    for (size_t i = 0; i < self->njobs; i++)
        pb_agent_job_free(&self->jobs[i]);
    for (size_t i = 0; i < self->ntargets; i++)
        s_target_free(self->targets[i]);
    free(self->targets);
    pb_zap_destroy(&self->router_cap);
    pb_sockmon_destroy(&self->router_mon);
    pb_sockmon_destroy(&self->pub_mon);
    if (self->router)
        zmq_close(self->router);
    if (self->pub)
        zmq_close(self->pub);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    for (int i = 0; i < 2; i++)
        if (self->ipc_locks[i] >= 0)
            close(self->ipc_locks[i]); /* after the sockets: the paths are free now */
    if (self->wakefd >= 0)
        close(self->wakefd);
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->lock);
    free(self->endpoint);
    free(self->pub_endpoint);
    free(self->host);
    free(self);
    *self_p = NULL;
}

const char *pb_agent_endpoint(const pb_agent_t *self)
{
    return self->endpoint;
}

const char *pb_agent_pub_endpoint(const pb_agent_t *self)
{
    return self->pub_endpoint;
}
