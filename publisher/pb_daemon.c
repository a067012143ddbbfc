/* pb_daemon: binds the sockets, runs the sampling schedule and publishes frames. */
#include "pb_daemon.h"

#include "pb_agent_local.h"
#include "pb_codec.h"
#include "pb_control.h"
#include "pb_curve.h"
#include "pb_frame.h"
#include "pb_ipclock.h"
#include "pb_log.h"
#include "pb_proc_sampler.h"
#include "pb_rpc.h"
#include "pb_sockmon.h"
#include "pb_sys_sampler.h"
#include "pb_zap.h"
#include "pb_workload.h"
#include "perfbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_NS_PER_S 1000000000ull

struct pb_daemon {
    pb_config_t config;
    void *ctx, *pub, *control;
    char pub_endpoint[256], control_endpoint[256];
    char host[128], src[192];
    char topic_proc[160];  /* "proc.<host>", from pb_frame_topic once: a pid tail is appended */
    uint64_t seq;          /* next frame's sequence number */
    uint64_t started_mono; /* ns */
    pb_sys_sampler_t *sys;
    pb_proc_sampler_t *procs;
    pb_mpwrite_t *w;      /* every frame is written here: reset, never freed */
    char *latest_sys_buf; /* last published sys frame's bytes, for op `system` */
    size_t latest_sys_len, latest_sys_cap;
    pb_value_t *latest_sys; /* those bytes decoded, on the first request after a sample */
    bool latest_sys_stale;
    pb_control_t *ctl;
    pb_agent_t *agent;         /* built-in profiling targets, serving on its own threads */
    pb_sockmon_t *control_mon; /* connections to `control`, to trim memory after storms */
    pb_sockmon_t *pub_mon;     /* failed handshakes to `pub` */
    pb_zap_t *control_cap;     /* refuses handshakes over config.max_connections, and (both
                                  sockets) CURVE keys not in config.curve_allow */
    bool curve;
    int ipc_locks[2]; /* pb_ipc_lock's of an ipc:// pub and control, held while running; else -1 */
};

enum {
    S_HB_UPTIME,
    S_HB_INTERVAL,
    S_HB_PERIOD,
    S_HB_FRAMES,
    S_HB_TRACKED,
    S_HB_VERSION,
    S_HB_PID,
    S_HB_N
};

static const pb_catalog_field_t *s_hb_keys[S_HB_N];

/* The heartbeat's keys; the samplers resolve their own. */
static int s_resolve_keys(char *err, size_t errlen)
{
    static const char *const hb[S_HB_N] = {
        "uptime_s", "interval_s", "heartbeat_s", "frames_sent", "procs_tracked", "version", "pid"};
    int rc = pb_mpwrite_resolve(PB_FT_HB, "", hb, S_HB_N, s_hb_keys, err, errlen);
    if (rc == 0)
        rc = pb_sys_sampler_keys(err, errlen);
    if (rc == 0)
        rc = pb_proc_body_keys(err, errlen);
    return rc;
}

static uint64_t s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * S_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* The publisher id: new on every start so that subscribers see a restart. */
static void s_make_src(pb_daemon_t *self)
{
    uint32_t nonce = 0;
    if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != sizeof nonce)
        nonce = (uint32_t)s_mono_ns();
    snprintf(self->src, sizeof self->src, "perfbusd-%.100s-%d-%08x", self->host, (int)getpid(),
             nonce);
}

static int s_bind(pb_daemon_t *self, void *sock, const char *endpoint, const char *what,
                  char *bound, size_t size, char *err, size_t errlen)
{
    int rc = pb_curve_check_bind(endpoint, self->curve, self->config.insecure, what, err, errlen);
    if (rc < 0)
        return rc;
    rc = pb_ipc_lock(endpoint, what, &self->ipc_locks[sock == self->pub ? 0 : 1], err, errlen);
    if (rc < 0)
        return rc;
    if (zmq_bind(sock, endpoint) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
        return -errno;
    }
    zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &size);
    return 0;
}

/* Monitors and ZAP handler: control capped, both sockets' CURVE keys checked. */
static int s_guard_sockets(pb_daemon_t *self, char *err, size_t errlen)
{
    self->control_mon = pb_sockmon_new(self->ctx, self->control);
    self->pub_mon = pb_sockmon_new(self->ctx, self->pub);
    if (!self->control_mon || !self->pub_mon) {
        snprintf(err, errlen, "cannot monitor the sockets: %s", zmq_strerror(errno));
        return -ENOMEM;
    }
    pb_sockmon_set_name(self->control_mon, "control");
    pb_sockmon_set_name(self->pub_mon, "pub");
    self->control_cap = pb_zap_new(self->ctx, self->control, self->control_mon,
                                   self->config.max_connections, "control");
    int rc = self->control_cap ? pb_zap_add(self->control_cap, self->pub, NULL, 0, "pub") : -errno;
    if (rc < 0)
        snprintf(err, errlen, "cannot start the sockets' ZAP handler: %s", zmq_strerror(-rc));
    return rc;
}

/* With --curve-secret/--curve-allow: both sockets become CURVE servers. */
static int s_curve(pb_daemon_t *self, char *err, size_t errlen)
{
    if (!self->config.curve_secret[0])
        return 0;
    pb_curve_cert_t own;
    int rc = pb_curve_cert_load(&own, self->config.curve_secret, err, errlen);
    pb_curve_allow_t *allow =
        rc < 0 ? NULL : pb_curve_allow_new(self->config.curve_allow, err, errlen);
    if (!allow)
        return rc < 0 ? rc : -EINVAL;
    pb_zap_set_allow(self->control_cap, &allow);
    rc = pb_curve_apply_server(self->pub, &own);
    rc = rc ? rc : pb_curve_apply_server(self->control, &own);
    if (rc < 0)
        snprintf(err, errlen, "cannot make the sockets CURVE servers: %s", zmq_strerror(-rc));
    self->curve = rc == 0;
    return rc;
}

static int s_open_sockets(pb_daemon_t *self, char *err, size_t errlen)
{
    self->ctx = zmq_ctx_new();
    self->pub = self->ctx ? zmq_socket(self->ctx, ZMQ_PUB) : NULL;
    self->control = self->ctx ? zmq_socket(self->ctx, ZMQ_ROUTER) : NULL;
    if (!self->pub || !self->control) {
        snprintf(err, errlen, "cannot create ZeroMQ sockets: %s", zmq_strerror(errno));
        return -ENOMEM;
    }
    int linger = 0, hwm = (int)self->config.sndhwm;
    zmq_setsockopt(self->pub, ZMQ_LINGER, &linger, sizeof linger);
    /* per subscriber; ZMQ_XPUB_NODROP stays off: past it frames are dropped, never waited on */
    zmq_setsockopt(self->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->control, ZMQ_LINGER, &linger, sizeof linger);
    pb_rpc_limit_socket(self->control, PB_RPC_REQUESTS);
    int rc = s_guard_sockets(self, err, errlen);
    rc = rc ? rc : s_curve(self, err, errlen);
    rc = rc ? rc
            : s_bind(self, self->pub, self->config.pub_endpoint, "perfbusd --pub",
                     self->pub_endpoint, sizeof self->pub_endpoint, err, errlen);
    rc = rc ? rc
            : s_bind(self, self->control, self->config.control_endpoint, "perfbusd --control",
                     self->control_endpoint, sizeof self->control_endpoint, err, errlen);
    return rc;
}

static int s_apply_watches(pb_daemon_t *self, char *err, size_t errlen)
{
    const pb_config_t *c = &self->config;
    for (size_t i = 0; i < c->npids; i++)
        pb_proc_sampler_watch_pid(self->procs, c->pids[i]);
    for (size_t i = 0; i < c->nmatches; i++) {
        char why[256] = "";
        if (pb_proc_sampler_watch_match(self->procs, c->matches[i], why, sizeof why) < 0) {
            snprintf(err, errlen, "bad --match '%s': %s", c->matches[i], why);
            return -EINVAL;
        }
    }
    pb_proc_sampler_set_top(self->procs, c->top_n);
    pb_proc_sampler_set_all(self->procs, c->all);
    return 0;
}

static void s_resolve_host(pb_daemon_t *self)
{
    if (self->config.host[0])
        snprintf(self->host, sizeof self->host, "%s", self->config.host);
    else if (gethostname(self->host, sizeof self->host - 1) < 0 || !self->host[0])
        snprintf(self->host, sizeof self->host, "localhost");
}

/* Registers one "NAME PROGRAM [ARG]..." command target (split on spaces). */
/* spec is "NAME PROGRAM [ARG]..." as pb_config checked it; the description
 * is the text after NAME, found in spec itself (never past its end). */
static int s_register_command(pb_agent_t *agent, const char *spec)
{
    char copy[512], *argv[PB_CONFIG_MAX_ARGS + 1], *save = NULL;
    size_t argc = 0;
    snprintf(copy, sizeof copy, "%s", spec);
    char *name = strtok_r(copy, " \t", &save);
    for (char *w = strtok_r(NULL, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (argc == PB_CONFIG_MAX_ARGS)
            return -E2BIG;
        argv[argc++] = w;
    }
    argv[argc] = NULL;
    if (!name || argc == 0)
        return -EINVAL;
    const char *rest = spec + strspn(spec, " \t");
    rest += strcspn(rest, " \t");
    rest += strspn(rest, " \t");
    char description[600];
    snprintf(description, sizeof description, "command: %s", rest);
    return pb_agent_register_command(agent, name, argv, description);
}

static int s_start_agent(pb_daemon_t *self, char *err, size_t errlen)
{
    pb_agent_config_t ac = {.endpoint = self->config.profile_endpoint,
                            .pub_endpoint = self->config.profile_pub_endpoint,
                            .host = self->host,
                            .max_connections = (unsigned)self->config.max_connections,
                            .curve_secret = self->config.curve_secret,
                            .curve_allow = self->config.curve_allow,
                            .insecure = self->config.insecure ? 1 : -1,
                            .error = err,
                            .error_len = errlen};
    self->agent = pb_agent_new(&ac);
    if (!self->agent) {
        int saved = errno;
        if (!err[0])
            snprintf(err, errlen, "cannot start the profiling agent on %s and %s: %s", ac.endpoint,
                     ac.pub_endpoint, strerror(saved));
        return -saved;
    }
    int rc = pb_workload_register_all(self->agent);
    for (size_t i = 0; rc == 0 && i < self->config.ncommands; i++) {
        rc = s_register_command(self->agent, self->config.commands[i]);
        if (rc < 0)
            snprintf(err, errlen, "cannot register command target '%s': %s",
                     self->config.commands[i], strerror(-rc));
    }
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "cannot register the built-in workloads: %s", strerror(-rc));
    return rc;
}

/* The samplers and the frame writer, once every key they write is in the catalogue. */
static int s_new_samplers(pb_daemon_t *self, char *err, size_t errlen)
{
    int rc = s_resolve_keys(err, errlen);
    if (rc < 0)
        return rc;
    self->sys = pb_sys_sampler_new(self->config.root);
    self->procs = pb_proc_sampler_new(self->config.root);
    self->w = pb_mpwrite_new();
    if (!self->sys || !self->procs || !self->w) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc_topic =
        pb_frame_topic(self->topic_proc, sizeof self->topic_proc, "proc", self->host, NULL);
    if (rc_topic < 0) {
        snprintf(err, errlen, "host name too long for a topic: %s", self->host);
        return rc_topic;
    }
    /* one listing of /proc per cycle: both sample with the same time */
    pb_proc_sampler_share_pidlist(self->procs, pb_sys_sampler_pidlist(self->sys));
    return 0;
}

pb_daemon_t *pb_daemon_new(const pb_config_t *config, char *err, size_t errlen)
{
    pb_daemon_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->config = *config;
    self->ipc_locks[0] = self->ipc_locks[1] = -1;
    self->started_mono = s_mono_ns();
    s_resolve_host(self);
    s_make_src(self);
    int rc = s_new_samplers(self, err, errlen);
    if (rc == 0)
        rc = s_apply_watches(self, err, errlen);
    if (rc == 0)
        rc = s_open_sockets(self, err, errlen);
    if (rc == 0)
        rc = s_start_agent(self, err, errlen);
    if (rc == 0 && !(self->ctl = pb_control_new(self->procs, config->root))) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
    }
    if (rc < 0)
        pb_daemon_destroy(&self);
    return self;
}

const char *pb_daemon_pub_endpoint(const pb_daemon_t *self)
{
    return self->pub_endpoint;
}

const char *pb_daemon_control_endpoint(const pb_daemon_t *self)
{
    return self->control_endpoint;
}

const char *pb_daemon_profile_endpoint(const pb_daemon_t *self)
{
    return pb_agent_endpoint(self->agent);
}

const char *pb_daemon_profile_pub_endpoint(const pb_daemon_t *self)
{
    return pb_agent_pub_endpoint(self->agent);
}

/* Opens the next frame in self->w: its top map and envelope. */
static int s_begin(pb_daemon_t *self, const char *type)
{
    pb_mpwrite_reset(self->w);
    return pb_frame_write_envelope(self->w, type, self->host, self->src, self->seq,
                                   pb_frame_now_ns());
}

/* Closes the frame in self->w and sends [topic][payload] (zmq copies the
 * bytes); topic NULL is pb_frame_topic's for type. */
static int s_send(pb_daemon_t *self, const char *type, const char *topic)
{
    char own[256];
    int rc = pb_mpwrite_end(self->w);
    if (rc == 0 && !topic)
        rc = pb_frame_topic(own, sizeof own, type, self->host, NULL);
    topic = topic ? topic : own;
    const char *buf = pb_mpwrite_data(self->w);
    size_t len = pb_mpwrite_len(self->w);
    if (rc == 0 && (zmq_send(self->pub, topic, strlen(topic), ZMQ_SNDMORE) < 0 ||
                    zmq_send(self->pub, buf, len, 0) < 0))
        rc = -errno;
    if (rc == 0)
        self->seq++;
    return rc;
}

static int s_emit_proc(void *arg, uint32_t pid, const pb_proc_body_t *body)
{
    pb_daemon_t *self = arg;
    /* pb_frame_topic's "proc.<host>.<pid>", its prefix made once at start: a
     * topic per process per cycle was a sixth of a process's instructions */
    char topic[192];
    size_t n = strlen(self->topic_proc);
    memcpy(topic, self->topic_proc, n);
    topic[n] = '.';
    pb_procfs_pid_rel(topic + n + 1, sizeof topic - n - 1, pid, NULL);
    int rc = s_begin(self, "proc");
    if (rc == 0)
        rc = pb_proc_body_write(self->w, body);
    return rc < 0 ? rc : s_send(self, "proc", topic);
}

/* Keeps the bytes of the sys frame just sent; op `system` decodes them when asked. */
static void s_keep_sys(pb_daemon_t *self)
{
    size_t len = pb_mpwrite_len(self->w);
    if (len > self->latest_sys_cap) {
        char *buf = realloc(self->latest_sys_buf, len);
        if (!buf)
            return; /* the previous sample stays the latest */
        self->latest_sys_buf = buf;
        self->latest_sys_cap = len;
    }
    memcpy(self->latest_sys_buf, pb_mpwrite_data(self->w), len);
    self->latest_sys_len = len;
    self->latest_sys_stale = true;
}

static void s_sample(pb_daemon_t *self, uint64_t now)
{
    char err[256] = "";
    int rc = s_begin(self, "sys");
    if (rc == 0)
        rc = pb_sys_sampler_write(self->sys, now, self->w, err, sizeof err);
    if (rc == 0)
        rc = s_send(self, "sys", NULL);
    if (rc == 0)
        s_keep_sys(self);
    if (rc < 0)
        pb_log_warn("system sample failed: %s", err[0] ? err : strerror(-rc));
    rc = pb_proc_sampler_scan_write(self->procs, now, s_emit_proc, self);
    if (rc < 0)
        pb_log_warn("process scan failed: %s", strerror(-rc));
}

static void s_heartbeat(pb_daemon_t *self)
{
    pb_mpwrite_t *w = self->w;
    double uptime = (double)(s_mono_ns() - self->started_mono) / 1e9;
    int rc = s_begin(self, "hb");
    pb_mpwrite_float(w, s_hb_keys[S_HB_UPTIME], uptime);
    pb_mpwrite_float(w, s_hb_keys[S_HB_INTERVAL], self->config.interval_s);
    pb_mpwrite_float(w, s_hb_keys[S_HB_PERIOD], self->config.heartbeat_s);
    pb_mpwrite_uint(w, s_hb_keys[S_HB_FRAMES], self->seq);
    pb_mpwrite_uint(w, s_hb_keys[S_HB_TRACKED], pb_proc_sampler_tracked(self->procs));
    pb_mpwrite_str(w, s_hb_keys[S_HB_VERSION], PB_VERSION);
    pb_mpwrite_uint(w, s_hb_keys[S_HB_PID], (uint64_t)getpid());
    if (rc == 0)
        rc = s_send(self, "hb", NULL);
    if (rc < 0)
        pb_log_warn("heartbeat failed: %s", strerror(-rc));
}

/* The latest sys frame as a tree, decoded once per sample and only when a
 * request may need it. */
static const pb_value_t *s_latest_sys(pb_daemon_t *self)
{
    if (self->latest_sys_stale) {
        pb_value_t *tree = NULL;
        char err[160];
        if (pb_codec_decode(self->latest_sys_buf, self->latest_sys_len, &tree, err, sizeof err) < 0)
            pb_log_warn("cannot decode the latest sys frame: %s", err);
        pb_value_destroy(&self->latest_sys);
        self->latest_sys = tree;
        self->latest_sys_stale = false;
    }
    return self->latest_sys;
}

static pb_value_t *s_describe_targets(void *agent)
{
    return pb_agent_targets_describe(agent);
}

static uint64_t s_failed(const pb_sockmon_t *mon)
{
    uint64_t protocol, auth;
    pb_sockmon_failures(mon, &protocol, &auth);
    return protocol;
}

static void s_refresh_control(pb_daemon_t *self)
{
    uint64_t admitted, refused;
    pb_zap_counts(self->control_cap, &admitted, &refused);
    pb_sockmon_drain(self->control_mon);
    pb_control_status_t st = {
        .host = self->host,
        .src = self->src,
        .uptime_s = (double)(s_mono_ns() - self->started_mono) / 1e9,
        .frames_sent = self->seq,
        .interval_s = self->config.interval_s,
        .latest_sys = s_latest_sys(self),
        .describe_targets = s_describe_targets,
        .targets_arg = self->agent,
        .profile_endpoint = pb_agent_endpoint(self->agent),
        .profile_pub_endpoint = pb_agent_pub_endpoint(self->agent),
        .max_connections = pb_zap_cap(self->control_cap),
        .connections_live = pb_sockmon_live(self->control_mon),
        .connections_refused = refused,
        .handshakes_denied = pb_zap_denied(self->control_cap),
        .handshakes_failed = s_failed(self->control_mon) + s_failed(self->pub_mon),
    };
    pb_control_set_status(self->ctl, &st);
}

/* Serves waiting requests until none is left or the deadline passes: 10,000
 * queued requests must not hold back the next sample. The rest stay queued
 * (zmq_poll reports them again) and are served after it. */
static void s_serve_batch(pb_daemon_t *self, uint64_t deadline)
{
    s_refresh_control(self);
    int rc;
    do
        rc = pb_rpc_serve_one(self->control, pb_control_handle, self->ctl);
    while (rc == 0 && s_mono_ns() < deadline);
    if (rc != 0 && rc != -EAGAIN && rc != -EINTR)
        pb_log_warn("control socket: %s", zmq_strerror(-rc));
}

/* Waits for control requests until `deadline` (monotonic ns) or a stop. */
static int s_serve_until(pb_daemon_t *self, uint64_t deadline, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[] = {
        {.socket = self->control, .events = ZMQ_POLLIN},
        {.socket = pb_sockmon_socket(self->control_mon), .events = ZMQ_POLLIN},
        {.socket = pb_zap_socket(self->control_cap), .events = ZMQ_POLLIN},
        {.socket = pb_sockmon_socket(self->pub_mon), .events = ZMQ_POLLIN},
    };
    for (uint64_t now = s_mono_ns(); now < deadline && !*stop; now = s_mono_ns()) {
        long timeout_ms = (long)((deadline - now + 999999) / 1000000);
        int n = zmq_poll(items, 4, timeout_ms);
        if (n > 0 && items[3].revents)
            pb_sockmon_drain(self->pub_mon);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0 && items[1].revents)
            pb_sockmon_drain(self->control_mon);
        if (n > 0 && items[2].revents)
            pb_zap_serve(self->control_cap, now);
        if (n > 0 && items[0].revents)
            s_serve_batch(self, deadline);
        pb_sockmon_tick(self->control_mon, s_mono_ns());
    }
    return 0;
}

/* The sample after one taken at `sampled`: the next slot of the grid that is
 * at least half an interval away. A late cycle is merged into the next one
 * rather than followed ~1 ms later, which would divide whole CPU ticks by a
 * millisecond; after a long stall (suspend, overload) slots are skipped, never
 * burst. So two samples are never closer than interval / 2. */
static uint64_t s_next_sample(uint64_t slot, uint64_t sampled, uint64_t interval)
{
    if (interval == 0) /* the config allows no less than 10 ms; never divide by it */
        return sampled;
    uint64_t floor = sampled + interval / 2;
    slot += interval;
    if (slot < floor)
        slot += (floor - slot + interval - 1) / interval * interval;
    return slot;
}

int pb_daemon_run(pb_daemon_t *self, volatile sig_atomic_t *stop)
{
    uint64_t interval = (uint64_t)(self->config.interval_s * 1e9);
    uint64_t hb_period = (uint64_t)(self->config.heartbeat_s * 1e9);
    uint64_t next_sample = s_mono_ns(), next_hb = next_sample;
    while (!*stop) {
        uint64_t now = s_mono_ns();
        if (now >= next_sample) {
            s_sample(self, now);
            next_sample = s_next_sample(next_sample, now, interval);
        }
        if (now >= next_hb) {
            s_heartbeat(self);
            next_hb = now + hb_period;
        }
        uint64_t deadline = next_sample < next_hb ? next_sample : next_hb;
        int rc = s_serve_until(self, deadline, stop);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void pb_daemon_destroy(pb_daemon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_daemon_t *self = *self_p;
    pb_control_destroy(&self->ctl);
    pb_agent_destroy(&self->agent);
    pb_value_destroy(&self->latest_sys);
    free(self->latest_sys_buf);
    pb_mpwrite_destroy(&self->w);
    pb_proc_sampler_destroy(&self->procs);
    pb_sys_sampler_destroy(&self->sys);
    if (self->pub)
        zmq_close(self->pub);
    pb_zap_destroy(&self->control_cap);
    pb_sockmon_destroy(&self->control_mon);
    pb_sockmon_destroy(&self->pub_mon);
    if (self->control)
        zmq_close(self->control);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    for (int i = 0; i < 2; i++)
        if (self->ipc_locks[i] >= 0)
            close(self->ipc_locks[i]);
    free(self);
    *self_p = NULL;
}
