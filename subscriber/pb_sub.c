/* pb_sub: the subscriber loop — receives frames, feeds history and recorder, serves queries. */
#include "pb_sub.h"

#include "pb_curve.h"
#include "pb_connmon.h"
#include "pb_dash.h"
#include "pb_frame_reader.h"
#include "pb_http.h"
#include "pb_ipclock.h"
#include "pb_log.h"
#include "pb_metrics.h"
#include "pb_query.h"
#include "pb_rpc.h"
#include "pb_recover.h"
#include "pb_run.h"
#include "pb_sockmon.h"
#include "pb_view.h"
#include "pb_zap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_DEFAULT_CONNECT "tcp://127.0.0.1:7710"
#define S_DEFAULT_QUERY   "tcp://127.0.0.1:7712"
#define S_EXPIRE_MS       1000
#define S_RETAIN_MS       60000
#define S_BATCH           1000 /* frames handled per poll before serving requests, */
#define S_BUDGET_US       5000 /* or this much intake time, whichever comes first */
#define S_CLOCK_EVERY     16   /* frames between two looks at the clock */
#define S_LIVENESS_MS     100  /* publishers are judged up or down this often */
#define S_RCVHWM          100000

struct pb_sub {
    pb_sub_config_t config;
    void *ctx, *sub, *router;
    pb_sockmon_t *router_mon; /* query connections: trims after storms */
    pb_connmon_t *sub_mon;    /* each --connect's connection and handshake state */
    int query_lock;           /* pb_ipc_lock of an ipc:// --query, held while bound; else -1 */
    pb_zap_t *router_cap;     /* refuses handshakes over config.max_connections and CURVE
                                 keys not in config.curve_allow */
    pb_curve_cert_t own;      /* with config.curve_secret */
    char query_endpoint[256];
    char store[PATH_MAX];
    pb_history_t *history;
    pb_frame_reader_t *reader; /* frames are read without a tree, keys cached by position */
    pb_sources_t *sources;
    pb_run_writer_t *run;
    pb_sub_counters_t counters;
    pb_sub_frame_fn *frame_fn;
    void *frame_arg;
    uint64_t started_ms, next_flush_ms, next_expire_ms, next_retain_ms, next_live_ms;
    bool loss_tracking;
    pb_http_t *http;       /* NULL unless --http */
    pb_dash_t *dash;       /* the dashboard's routes and event streams, with http */
    pb_remote_write_t *rw; /* NULL unless --remote-write */
    pb_metrics_t *metrics;
    uint64_t scrapes, scrape_errors;
    char self_host[256];
    char http_msg[512]; /* the body of an error reply */
};

static uint64_t s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t s_mono_ms(void)
{
    return s_mono_ns() / 1000000;
}

/* ---- setup ---- */

/* Connect i's security: CURVE with that publisher's key, or none. */
static int s_connect_curve(pb_sub_t *self, size_t i, char *err, size_t errlen)
{
    const char *key = self->config.curve_server_key[i];
    char z85[PB_CURVE_Z85_LEN + 1];
    if (!key)
        return pb_curve_apply_none(self->sub);
    if (!self->config.curve_secret) {
        snprintf(err, errlen,
                 "--curve-server-key for %s needs --curve-secret (this host's "
                 "certificate, from perfbus keygen)",
                 self->config.connect[i]);
        return -EINVAL;
    }
    int rc = pb_curve_server_key(z85, key, err, errlen);
    return rc < 0 ? rc : pb_curve_apply_client(self->sub, &self->own, z85);
}

static int s_open_sub(pb_sub_t *self, char *err, size_t errlen)
{
    self->sub = zmq_socket(self->ctx, ZMQ_SUB);
    if (!self->sub)
        return -errno;
    int hwm = self->config.rcvhwm > 0 ? self->config.rcvhwm : S_RCVHWM;
    zmq_setsockopt(self->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    pb_rpc_limit_socket(self->sub, PB_RPC_FRAMES);
    for (size_t i = 0; i < self->config.nsubscribe; i++) {
        const char *p = self->config.subscribe[i];
        zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, p, strlen(p));
    }
    if (self->config.nsubscribe == 0)
        zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "", 0);
    self->sub_mon = pb_connmon_new(self->ctx, self->sub, (const char *const *)self->config.connect,
                                   self->config.nconnect);
    if (!self->sub_mon) {
        snprintf(err, errlen, "cannot monitor the SUB socket: %s", zmq_strerror(errno));
        return -ENOMEM;
    }
    for (size_t i = 0; i < self->config.nconnect; i++) {
        int rc = s_connect_curve(self, i, err, errlen); /* before connect: copied per pipe */
        if (rc < 0)
            return rc;
        if (zmq_connect(self->sub, self->config.connect[i]) < 0) {
            snprintf(err, errlen, "cannot connect to %s: %s", self->config.connect[i],
                     zmq_strerror(errno));
            return -EINVAL;
        }
    }
    return 0;
}

/* The query socket becomes a CURVE server with --curve-allow. */
static int s_router_curve(pb_sub_t *self, char *err, size_t errlen)
{
    if (!self->config.curve_allow)
        return 0;
    if (!self->config.curve_secret) {
        snprintf(err, errlen,
                 "--curve-allow needs --curve-secret (this host's certificate, "
                 "from perfbus keygen)");
        return -EINVAL;
    }
    pb_curve_allow_t *allow = pb_curve_allow_new(self->config.curve_allow, err, errlen);
    if (!allow)
        return -EINVAL;
    pb_zap_set_allow(self->router_cap, &allow);
    int rc = pb_curve_apply_server(self->router, &self->own);
    if (rc < 0)
        snprintf(err, errlen, "cannot make the query socket a CURVE server: %s", zmq_strerror(-rc));
    return rc;
}

static int s_open_router(pb_sub_t *self, char *err, size_t errlen)
{
    self->router = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->router)
        return -errno;
    int linger = 0;
    zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger);
    pb_rpc_limit_socket(self->router, PB_RPC_REQUESTS);
    self->router_mon = pb_sockmon_new(self->ctx, self->router);
    self->router_cap = self->router_mon ? pb_zap_new(self->ctx, self->router, self->router_mon,
                                                     self->config.max_connections, "query")
                                        : NULL;
    if (!self->router_cap) {
        snprintf(err, errlen, "cannot guard the query socket: %s", zmq_strerror(errno));
        return -ENOMEM;
    }
    pb_sockmon_set_name(self->router_mon, "query");
    int rc = s_router_curve(self, err, errlen);
    rc = rc ? rc
            : pb_curve_check_bind(self->config.query, self->config.curve_allow != NULL,
                                  self->config.insecure, "perfbus-sub --query", err, errlen);
    rc =
        rc ? rc
           : pb_ipc_lock(self->config.query, "perfbus-sub --query", &self->query_lock, err, errlen);
    if (rc < 0)
        return rc;
    if (zmq_bind(self->router, self->config.query) < 0) {
        snprintf(err, errlen, "cannot bind the query socket to %s: %s", self->config.query,
                 zmq_strerror(errno));
        return -EADDRINUSE;
    }
    size_t len = sizeof self->query_endpoint;
    zmq_getsockopt(self->router, ZMQ_LAST_ENDPOINT, self->query_endpoint, &len);
    return 0;
}

static pb_value_t *s_strings(const char *const *items, size_t n)
{
    pb_value_t *arr = pb_value_array_new();
    for (size_t i = 0; arr && i < n; i++) {
        pb_value_t *s = pb_value_str_new(items[i]);
        if (!s || pb_value_array_push(arr, &s) < 0)
            pb_value_destroy(&arr);
    }
    return arr;
}

static pb_value_t *s_record_config(const pb_sub_t *self)
{
    const pb_sub_config_t *c = &self->config;
    pb_value_t *conf = pb_value_map_new(), *connect = s_strings(c->connect, c->nconnect);
    pb_value_t *subscribe = s_strings(c->subscribe, c->nsubscribe);
    int rc = conf && connect && subscribe ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put(conf, "connect", &connect);
    rc = rc ? rc : pb_value_map_put(conf, "subscribe", &subscribe);
    rc = rc ? rc : pb_value_map_put_str(conf, "store", self->store);
    rc = rc ? rc : pb_value_map_put_uint(conf, "flush_ms", (uint64_t)c->flush_ms);
    rc = rc ? rc : pb_value_map_put_uint(conf, "segment_bytes", c->segment_bytes);
    rc = rc ? rc : pb_value_map_put_uint(conf, "segment_seconds", c->segment_seconds);
    rc = rc ? rc : pb_value_map_put_uint(conf, "compress_level", (uint64_t)c->compress_level);
    rc = rc ? rc : pb_value_map_put_float(conf, "keep_days", c->keep_days);
    rc = rc ? rc : pb_value_map_put_uint(conf, "keep_bytes", c->keep_bytes);
    rc = rc ? rc : pb_value_map_put_uint(conf, "down_after", pb_sources_down_after(self->sources));
    pb_value_destroy(&connect);
    pb_value_destroy(&subscribe);
    if (rc < 0)
        pb_value_destroy(&conf);
    return conf;
}

static void s_retain(pb_sub_t *self)
{
    if (self->config.keep_days <= 0 && self->config.keep_bytes == 0)
        return;
    int n = pb_run_retain(self->store, self->config.keep_days, self->config.keep_bytes,
                          pb_run_writer_id(self->run));
    if (n > 0)
        pb_log_info("retention removed %d run(s) or sealed segment(s) from %s", n, self->store);
    else if (n < 0)
        pb_log_warn("retention in %s failed: %s", self->store, strerror(-n));
}

/* Seals what a killed recorder left open, before intake starts (pb_recover.h). */
static void s_recover(pb_sub_t *self)
{
    int n = pb_run_recover(self->store, self->config.compress_level);
    if (n > 0)
        pb_log_info("sealed %d segment(s) that a killed recorder left open in %s", n, self->store);
    else if (n < 0)
        pb_log_warn("cannot look for segments left open in %s: %s", self->store, strerror(-n));
}

static int s_open_run(pb_sub_t *self, char *err, size_t errlen)
{
    int rc = 0;
    if (self->config.store)
        snprintf(self->store, sizeof self->store, "%s", self->config.store);
    else if ((rc = pb_run_default_store(self->store, sizeof self->store)) < 0) {
        snprintf(err, errlen, "no store: set --store or $PERFBUS_STORE (%s)", strerror(-rc));
        return rc;
    }
    pb_value_t *conf = s_record_config(self);
    self->run = conf ? pb_run_writer_new(self->store, conf, self->config.segment_bytes) : NULL;
    rc = self->run ? 0 : conf ? -errno : -ENOMEM;
    if (self->run)
        pb_run_writer_set_seal(self->run, self->config.segment_seconds,
                               self->config.compress_level);
    pb_value_destroy(&conf);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create a run in %s: %s", self->store, strerror(-rc));
        return rc;
    }
    s_recover(self);
    s_retain(self);
    return 0;
}

/* ---- the HTTP face ---- */

static void s_http_error(pb_sub_t *self, pb_http_reply_t *r, int status, const char *fmt,
                         const char *what)
{
    int n = snprintf(self->http_msg, sizeof self->http_msg, fmt, status, what);
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->body = self->http_msg;
    r->len = n < 0 ? 0 : (size_t)n < sizeof self->http_msg ? (size_t)n : sizeof self->http_msg - 1;
}

static void s_metrics(pb_sub_t *self, const pb_http_request_t *req, pb_http_reply_t *r)
{
    pb_prom_format_t format = pb_prom_wants_openmetrics(pb_http_header(req, "Accept"))
                                  ? PB_PROM_OPENMETRICS
                                  : PB_PROM_TEXT;
    const char *host = pb_http_arg(req, "host");
    pb_metrics_input_t in = {self->history,
                             self->sources,
                             self->counters.frames,
                             self->counters.bytes,
                             pb_sources_lost(self->sources),
                             self->counters.decode_errors,
                             pb_frame_now_ns(),
                             self->self_host};
    self->scrapes++;
    int rc = pb_metrics_render(self->metrics, &in, host, format, &r->body, &r->len);
    self->scrape_errors += rc < 0;
    if (rc == -ENOENT)
        s_http_error(self, r, 404,
                     "%d unknown host '%.200s': perfbus-sub has heard nothing from it\n", host);
    else if (rc < 0)
        s_http_error(self, r, 500, "%d out of memory rendering %s\n", "/metrics");
    else {
        r->status = 200;
        r->content_type = pb_prom_content_type(format);
    }
}

static void s_http_handle(void *arg, const pb_http_request_t *req, pb_http_reply_t *r)
{
    pb_sub_t *self = arg;
    if (strcmp(pb_http_path(req), "/metrics") == 0)
        s_metrics(self, req, r);
    else if (!pb_dash_handle(self->dash, req, r))
        s_http_error(self, r, 404,
                     "%d not found: '%.200s' (perfbus-sub serves /metrics, the dashboard at /, "
                     "/api/OP and /events)\n",
                     pb_http_path(req));
}

static int s_open_http(pb_sub_t *self, char *err, size_t errlen)
{
    const pb_sub_config_t *c = &self->config;
    pb_http_config_t hc = {.addr = c->http,
                           .insecure = c->insecure,
                           .tls_cert_file = c->http_tls_cert,
                           .tls_key_file = c->http_tls_key,
                           .token_file = c->http_token_file,
                           /* the streams, and as many for the page, the API and scrapes */
                           .max_connections =
                               (unsigned)(c->http_clients ? c->http_clients : 64) + 64};
    pb_events_config_t ec = {.max_clients = c->http_clients,
                             .client_bytes = c->http_client_bytes,
                             .index_rows = c->history.capacity};
    if (gethostname(self->self_host, sizeof self->self_host - 1) < 0)
        snprintf(self->self_host, sizeof self->self_host, "localhost");
    self->metrics = pb_metrics_new();
    self->dash = pb_dash_new(self, &ec);
    if (!self->metrics || !self->dash) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    self->http = pb_http_new(&hc, s_http_handle, self, err, errlen);
    return self->http ? 0 : -EINVAL;
}

/* The history's full-table report (once a minute at most). */
static void s_log_full(size_t max_procs, uint64_t dropped, void *arg)
{
    (void)arg;
    pb_log_warn("process table full (%zu live process series, --max-procs): %llu frame(s) of "
                "new processes dropped since the last report",
                max_procs, (unsigned long long)dropped);
}

/* A host's transition, for the log: what users read first when a publisher goes quiet. */
static int s_log_change(const pb_sources_host_t *h, void *arg)
{
    const pb_sources_period_t *p = &h->periods[h->nperiods - 1];
    if (!h->up)
        pb_log_warn("host %s is down: nothing heard from src %s for %u heartbeats of %.3g s",
                    h->host, h->src, pb_sources_down_after(arg), (double)h->heartbeat_ns / 1e9);
    else
        pb_log_info("host %s is up again (src %s), after %.1f s unheard", h->host, h->src,
                    (double)(p->to_ns - p->from_ns) / 1e9);
    return 0;
}

static int s_init(pb_sub_t *self, char *err, size_t errlen)
{
    pb_sub_config_t *c = &self->config;
    if (c->nconnect == 0)
        c->connect[c->nconnect++] = S_DEFAULT_CONNECT;
    c->query = c->query ? c->query : S_DEFAULT_QUERY;
    c->flush_ms = c->flush_ms > 0 ? c->flush_ms : 1000;
    c->intake_us = c->intake_us > 0 ? c->intake_us : S_BUDGET_US;
    self->loss_tracking = c->nsubscribe == 0;
    for (size_t i = 0; i < c->nsubscribe; i++)
        self->loss_tracking = self->loss_tracking || c->subscribe[i][0] == '\0';
    self->history = pb_history_new(&c->history);
    self->reader = pb_frame_reader_new();
    self->sources = pb_sources_new();
    self->ctx = zmq_ctx_new();
    if (!self->history || !self->reader || !self->sources || !self->ctx) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pb_history_set_full_fn(self->history, s_log_full, NULL);
    pb_sources_set_down_after(self->sources, c->down_after);
    pb_sources_set_change_fn(self->sources, s_log_change, self->sources);
    int rc = c->curve_secret ? pb_curve_cert_load(&self->own, c->curve_secret, err, errlen) : 0;
    rc = rc < 0 ? rc : s_open_sub(self, err, errlen);
    rc = rc < 0 ? rc : s_open_router(self, err, errlen);
    rc = rc < 0 || !c->record ? rc : s_open_run(self, err, errlen);
    rc = rc < 0 || !c->http ? rc : s_open_http(self, err, errlen);
    c->remote_write.insecure = c->insecure;
    if (rc == 0 && c->remote_write.nurl)
        rc = (self->rw = pb_remote_write_new(&c->remote_write, err, errlen)) ? 0 : -EINVAL;
    self->started_ms = s_mono_ms();
    self->next_flush_ms = self->started_ms + (uint64_t)c->flush_ms;
    self->next_expire_ms = self->started_ms + S_EXPIRE_MS;
    self->next_retain_ms = self->started_ms + S_RETAIN_MS;
    self->next_live_ms = self->started_ms + S_LIVENESS_MS;
    return rc;
}

pb_sub_t *pb_sub_new(const pb_sub_config_t *config, char *err, size_t errlen)
{
    pb_sub_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->config = *config;
    self->query_lock = -1;
    if (s_init(self, err, errlen) < 0)
        pb_sub_destroy(&self);
    return self;
}

void pb_sub_destroy(pb_sub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sub_t *self = *self_p;
    pb_run_writer_destroy(&self->run);
    pb_remote_write_destroy(&self->rw);
    pb_http_destroy(&self->http); /* first: its streams detach their event clients */
    pb_dash_destroy(&self->dash);
    pb_metrics_destroy(&self->metrics);
    int linger = 0;
    if (self->sub)
        zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof linger);
    if (self->sub)
        zmq_close(self->sub);
    pb_zap_destroy(&self->router_cap);
    pb_sockmon_destroy(&self->router_mon);
    pb_connmon_destroy(&self->sub_mon);
    if (self->router)
        zmq_close(self->router);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    if (self->query_lock >= 0)
        close(self->query_lock); /* after the socket: the path is free now */
    pb_history_destroy(&self->history);
    pb_frame_reader_destroy(&self->reader);
    pb_sources_destroy(&self->sources);
    free(self);
    *self_p = NULL;
}

/* ---- intake ---- */

static void s_count_bad(uint64_t *counter, const char *what, const char *why)
{
    (*counter)++;
    if (*counter <= 10 || *counter % 1000 == 0)
        pb_log_warn("dropped a frame (%s #%llu): %s", what, (unsigned long long)*counter, why);
}

/* An hb frame's heartbeat period (the view FLEET_HEARTBEAT) makes its src judged up or down. */
static void s_heartbeat(pb_sub_t *self, const pb_frame_view_t *frame, uint64_t recv_ns)
{
    pb_sources_heartbeat(self->sources, frame->env.src, pb_frame_view_heartbeat_ns(frame), recv_ns);
}

static void s_keep(pb_sub_t *self, const pb_frame_view_t *frame, const void *topic,
                   size_t topic_len, const void *payload, size_t payload_len, uint64_t recv_ns)
{
    const pb_envelope_t *env = &frame->env;
    int64_t lost = pb_sources_note(self->sources, env, payload_len, recv_ns);
    if (lost > 0 && self->loss_tracking)
        pb_log_warn("lost %lld frame(s) from src %s (host %s) before seq %llu", (long long)lost,
                    env->src, env->host, (unsigned long long)env->seq);
    if (lost >= 0 && frame->type == PB_FT_HB)
        s_heartbeat(self, frame, recv_ns);
    /* each series' latest bytes serve /metrics: copied only when it is served */
    const void *latest = self->http ? payload : NULL;
    if (pb_history_add_payload(self->history, frame, latest, payload_len, recv_ns) == -ENOSPC)
        self->counters.dropped++;
    if (self->run && pb_run_writer_append(self->run, recv_ns, env->host, topic, topic_len, payload,
                                          payload_len) < 0)
        self->counters.record_errors++;
    if (self->rw)
        pb_remote_write_frame(self->rw, frame, payload, payload_len);
    if (self->dash)
        pb_events_frame(pb_dash_events(self->dash), frame, payload, payload_len, lost);
}

void pb_sub_ingest(pb_sub_t *self, const void *topic, size_t topic_len, const void *payload,
                   size_t payload_len, uint64_t recv_ns)
{
    self->counters.frames++;
    self->counters.bytes += payload_len;
    const pb_frame_view_t *frame = NULL;
    char why[160] = "";
    int rc = pb_frame_reader_read(self->reader, payload, payload_len, &frame, why, sizeof why);
    if (rc == -EBADMSG)
        s_count_bad(&self->counters.decode_errors, "not msgpack", why);
    else if (rc < 0)
        s_count_bad(&self->counters.envelope_errors, "bad envelope", why);
    else
        s_keep(self, frame, topic, topic_len, payload, payload_len, recv_ns);
}

/* Receives and drops what is left of a multipart message after last; returns
 * how many parts that was. */
static int s_drain(void *sock, const zmq_msg_t *last)
{
    int extra = 0, more = zmq_msg_more(last);
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        more = zmq_msg_recv(&part, sock, 0) >= 0 && zmq_msg_more(&part);
        extra++;
        zmq_msg_close(&part);
    }
    return extra;
}

/* Receives one message from the SUB socket: 1 handled, 0 nothing waiting,
 * or negative errno. */
static int s_recv_frame(pb_sub_t *self)
{
    zmq_msg_t topic, payload;
    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, self->sub, ZMQ_DONTWAIT) < 0) {
        int rc = errno == EAGAIN ? 0 : -errno;
        zmq_msg_close(&topic);
        return rc;
    }
    zmq_msg_init(&payload);
    int parts = 1;
    if (zmq_msg_more(&topic) && zmq_msg_recv(&payload, self->sub, 0) >= 0)
        parts = 2 + s_drain(self->sub, &payload);
    if (parts == 2) {
        pb_sub_ingest(self, zmq_msg_data(&topic), zmq_msg_size(&topic), zmq_msg_data(&payload),
                      zmq_msg_size(&payload), pb_frame_now_ns());
        if (self->frame_fn)
            self->frame_fn(self->frame_arg);
    } else
        s_count_bad(&self->counters.bad_messages, "not [topic][payload]",
                    parts == 1 ? "one part" : "more than two parts");
    zmq_msg_close(&topic);
    zmq_msg_close(&payload);
    return 1;
}

/* Receives what is waiting, up to S_BATCH frames or the intake budget,
 * whichever ends first: a backlog must not hold requests and timers back
 * for long (1000 frames are 20 ms at 20 us each). The clock is read every
 * S_CLOCK_EVERY frames only; a vDSO read is some 20 ns, a frame microseconds.
 * Returns 0 or negative errno. */
static int s_intake(pb_sub_t *self)
{
    uint64_t end = s_mono_ns() + (uint64_t)self->config.intake_us * 1000u;
    int rc = 1;
    for (int i = 1; i <= S_BATCH && rc == 1; i++) {
        rc = s_recv_frame(self);
        if (i % S_CLOCK_EVERY == 0 && s_mono_ns() >= end)
            break;
    }
    return rc < 0 && rc != -EINTR ? rc : 0;
}

void pb_sub_set_frame_fn(pb_sub_t *self, pb_sub_frame_fn *fn, void *arg)
{
    self->frame_fn = fn;
    self->frame_arg = arg;
}

/* ---- the loop ---- */

static void s_timers(pb_sub_t *self, uint64_t now)
{
    if (self->run && now >= self->next_flush_ms) {
        int rc = pb_run_writer_flush(self->run);
        if (rc < 0)
            pb_log_warn("flushing %s failed: %s", pb_run_writer_dir(self->run), strerror(-rc));
        self->next_flush_ms = now + (uint64_t)self->config.flush_ms;
    }
    if (now >= self->next_expire_ms) {
        pb_history_expire(self->history, pb_frame_now_ns());
        self->next_expire_ms = now + S_EXPIRE_MS;
    }
    if (self->dash)
        pb_events_tick(pb_dash_events(self->dash), now);
    if (now >= self->next_live_ms) {
        pb_sources_tick(self->sources, pb_frame_now_ns());
        self->next_live_ms = now + S_LIVENESS_MS;
    }
    if (self->run && now >= self->next_retain_ms) {
        s_retain(self);
        self->next_retain_ms = now + S_RETAIN_MS;
    }
}

static int s_wait_ms(const pb_sub_t *self, int timeout_ms, uint64_t now)
{
    uint64_t next =
        self->next_live_ms < self->next_expire_ms ? self->next_live_ms : self->next_expire_ms;
    if (self->run && self->next_flush_ms < next)
        next = self->next_flush_ms;
    uint64_t wait = next > now ? next - now : 0;
    int http = self->http ? pb_http_timeout_ms(self->http) : -1;
    if (http >= 0 && (uint64_t)http < wait)
        wait = (uint64_t)http;
    return timeout_ms >= 0 && (uint64_t)timeout_ms < wait ? timeout_ms : (int)wait;
}

/* Serves what is ready on the HTTP face: between intake and queries, so
 * scrapes see the frames just taken in and never hold intake up for long
 * (MHD's sockets are non-blocking; a render is bounded by the series held). */
static void s_serve_http(pb_sub_t *self)
{
    if (self->http && pb_http_run(self->http) < 0)
        pb_log_warn("the HTTP face failed to run a step (%s)", pb_http_address(self->http));
}

/* Counts query connections, answers handshakes under the cap, trims after storms. */
static void s_guard_connections(pb_sub_t *self)
{
    uint64_t now_ns = s_mono_ns();
    pb_sockmon_drain(self->router_mon);
    pb_connmon_drain(self->sub_mon, now_ns);
    pb_zap_serve(self->router_cap, now_ns);
    pb_sockmon_tick(self->router_mon, now_ns);
}

int pb_sub_poll(pb_sub_t *self, int timeout_ms)
{
    zmq_pollitem_t items[] = {{self->sub, 0, ZMQ_POLLIN, 0},
                              {self->router, 0, ZMQ_POLLIN, 0},
                              {pb_sockmon_socket(self->router_mon), 0, ZMQ_POLLIN, 0},
                              {pb_zap_socket(self->router_cap), 0, ZMQ_POLLIN, 0},
                              {pb_connmon_socket(self->sub_mon), 0, ZMQ_POLLIN, 0},
                              {NULL, self->http ? pb_http_fd(self->http) : -1, ZMQ_POLLIN, 0}};
    int nitems = self->http ? 6 : 5;
    if (zmq_poll(items, nitems, s_wait_ms(self, timeout_ms, s_mono_ms())) < 0 && errno != EINTR)
        return -errno;
    s_guard_connections(self);
    int rc = s_intake(self);
    if (rc < 0)
        return rc;
    s_serve_http(self);
    for (int i = 0; i < 100; i++) {
        rc = pb_rpc_serve_one(self->router, pb_query_handle, self);
        if (rc == -EAGAIN || rc == -EINTR)
            break;
        if (rc < 0)
            return rc;
    }
    s_timers(self, s_mono_ms());
    return 0;
}

int pb_sub_run(pb_sub_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        int rc = pb_sub_poll(self, 200);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- accessors ---- */

const char *pb_sub_query_endpoint(const pb_sub_t *self)
{
    return self->query_endpoint;
}

const char *pb_sub_run_id(const pb_sub_t *self)
{
    return self->run ? pb_run_writer_id(self->run) : NULL;
}

const char *pb_sub_run_dir(const pb_sub_t *self)
{
    return self->run ? pb_run_writer_dir(self->run) : NULL;
}

const pb_history_t *pb_sub_history(const pb_sub_t *self)
{
    return self->history;
}

const pb_sources_t *pb_sub_sources(const pb_sub_t *self)
{
    return self->sources;
}

pb_sub_counters_t pb_sub_counters(const pb_sub_t *self)
{
    pb_sub_counters_t c = self->counters;
    uint64_t admitted, accepted, closed;
    pb_zap_counts(self->router_cap, &admitted, &c.connections_refused);
    pb_sockmon_counts(self->router_mon, &accepted, &closed, &c.connection_trims);
    c.max_connections = pb_zap_cap(self->router_cap);
    c.handshakes_denied = pb_zap_denied(self->router_cap);
    uint64_t auth;
    pb_sockmon_failures(self->router_mon, &c.handshakes_failed, &auth);
    c.connections_live = pb_sockmon_live(self->router_mon);
    return c;
}

const char *pb_sub_http_address(const pb_sub_t *self)
{
    return self->http ? pb_http_address(self->http) : NULL;
}

pb_value_t *pb_sub_http_value(const pb_sub_t *self)
{
    if (!self->http)
        return pb_value_nil_new();
    pb_http_counts_t c = pb_http_counts(self->http);
    pb_value_t *h = pb_value_map_new();
    int rc = h ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(h, "address", pb_http_address(self->http));
    rc = rc ? rc : pb_value_map_put_uint(h, "requests", c.requests);
    rc = rc ? rc : pb_value_map_put_uint(h, "errors", c.errors);
    rc = rc ? rc : pb_value_map_put_bool(h, "tls", pb_http_tls(self->http));
    rc = rc ? rc : pb_value_map_put_uint(h, "bad_method", c.bad_method);
    rc = rc ? rc : pb_value_map_put_uint(h, "unauthorized", c.unauthorized);
    rc = rc ? rc : pb_value_map_put_uint(h, "scrapes", self->scrapes);
    rc = rc ? rc : pb_value_map_put_uint(h, "scrape_errors", self->scrape_errors);
    rc = rc ? rc : pb_value_map_put_uint(h, "skipped_payloads", pb_metrics_skipped(self->metrics));
    rc = rc ? rc : pb_value_map_put_uint(h, "streams", c.streams);
    pb_value_t *ev = rc ? NULL : pb_events_value(pb_dash_events(self->dash));
    rc = rc ? rc : ev ? pb_value_map_put(h, "events", &ev) : -ENOMEM;
    pb_value_destroy(&ev);
    if (rc < 0)
        pb_value_destroy(&h);
    return h;
}

pb_value_t *pb_sub_connects_value(const pb_sub_t *self)
{
    return pb_connmon_value(self->sub_mon, s_mono_ns());
}

pb_value_t *pb_sub_remote_write_value(const pb_sub_t *self)
{
    return self->rw ? pb_remote_write_value(self->rw) : pb_value_array_new();
}

pb_value_t *pb_sub_recorder_value(const pb_sub_t *self)
{
    if (!self->run)
        return pb_value_nil_new();
    pb_value_t *r = pb_value_map_new();
    int rc = r ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(r, "run_id", pb_run_writer_id(self->run));
    rc = rc ? rc : pb_value_map_put_str(r, "dir", pb_run_writer_dir(self->run));
    rc = rc ? rc : pb_value_map_put_uint(r, "records", pb_run_writer_records(self->run));
    rc = rc ? rc : pb_value_map_put_uint(r, "bytes", pb_run_writer_bytes(self->run));
    rc = rc ? rc : pb_value_map_put_uint(r, "flush_ms", (uint64_t)self->config.flush_ms);
    rc = rc ? rc : pb_value_map_put_uint(r, "errors", self->counters.record_errors);
    if (rc < 0)
        pb_value_destroy(&r);
    return r;
}

pb_value_t *pb_sub_settings_value(const pb_sub_t *self)
{
    const pb_sub_config_t *c = &self->config;
    pb_value_t *s = pb_value_map_new(), *connect = s_strings(c->connect, c->nconnect);
    pb_value_t *subscribe = s_strings(c->subscribe, c->nsubscribe);
    int rc = s && connect && subscribe ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put(s, "connect", &connect);
    rc = rc ? rc : pb_value_map_put(s, "subscribe", &subscribe);
    rc = rc ? rc : pb_value_map_put_str(s, "query", self->query_endpoint);
    rc = rc ? rc : pb_value_map_put_bool(s, "loss_tracking", self->loss_tracking);
    rc = rc ? rc
            : pb_value_map_put_float(s, "uptime_s",
                                     (double)(s_mono_ms() - self->started_ms) / 1000.0);
    pb_value_destroy(&connect);
    pb_value_destroy(&subscribe);
    if (rc < 0)
        pb_value_destroy(&s);
    return s;
}
