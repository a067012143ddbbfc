/* pb_bench_latency: publish -> aggregated latency through the real subscriber loop (pb_sub_poll).
 */
#include "pb_bench_bus.h"

#include "pb_bench_frames.h"
#include "pb_bench_util.h"
#include "pb_frame.h"
#include "pb_sub.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* The generator thread sends frame k at start + k / rate and notes when in
 * sent[k]; the subscriber side (this thread) runs pb_sub_poll, the loop of
 * perfbus-sub, whose frame hook fires as each frame has been decoded and
 * added to the history: its latency is then now - sent[k], stamped per
 * frame as the raw reference does (not once per poll call, which would
 * charge a whole batch the time of its last frame). PUB/SUB over one
 * connection keeps order and the XPUB waits for the subscription first, so
 * the k-th frame received is the k-th sent. With --raw the receiver is a
 * plain SUB socket instead: the libzmq floor. With --curve-secret and
 * --curve-client (two certificates) the XPUB is a CURVE server and either
 * receiver its client: the cost of the encryption on the same path. */
typedef struct {
    const char *server, *client; /* certificate paths; NULL: plain */
} s_curve_t;

typedef struct {
    void *pub;
    pb_bench_frames_t *templates;
    uint64_t *sent; /* mono ns, written before the send (release) */
    uint64_t total, period_ns;
} s_gen_t;

static void s_sleep_until(uint64_t mono_ns)
{
    struct timespec ts = {(time_t)(mono_ns / 1000000000ull), (long)(mono_ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *s_generate(void *arg)
{
    s_gen_t *g = arg;
    size_t n = pb_bench_frames_count(g->templates);
    uint64_t start = pb_bench_mono_ns() + 10000000ull;
    for (uint64_t k = 0; k < g->total; k++) {
        s_sleep_until(start + k * g->period_ns);
        const pb_bench_frame_t *f = pb_bench_frames_stamp(g->templates, (size_t)(k % n),
                                                          (1ull << 32) + k, pb_frame_now_ns());
        __atomic_store_n(&g->sent[k], pb_bench_mono_ns(), __ATOMIC_RELEASE);
        if (pb_bench_send(g->pub, f->topic, f->topic_len, f->payload, f->payload_len) < 0)
            break;
    }
    return NULL;
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    const s_gen_t *g;
    uint64_t *lat, got;
} s_stamps_t;

/* pb_sub's frame hook: frame `got` has just been aggregated. */
static void s_stamp(void *arg)
{
    s_stamps_t *st = arg;
    if (st->got < st->g->total) {
        uint64_t sent = __atomic_load_n(&st->g->sent[st->got], __ATOMIC_ACQUIRE);
        st->lat[st->got++] = pb_bench_mono_ns() - sent;
    }
}

/* Runs the subscriber loop until every frame came or the deadline passed;
 * fills lat[k] (ns) and returns how many frames came. */
static uint64_t s_collect(pb_sub_t *sub, const s_gen_t *g, uint64_t *lat, uint64_t deadline)
{
    s_stamps_t st = {.g = g, .lat = lat};
    pb_sub_set_frame_fn(sub, s_stamp, &st);
    while (st.got < g->total && pb_bench_mono_ns() < deadline)
        if (pb_sub_poll(sub, 100) < 0)
            break;
    pb_sub_set_frame_fn(sub, NULL, NULL);
    return st.got;
}

static void s_report(uint64_t *lat, uint64_t got, uint64_t total, double rate)
{
    uint64_t skip = got / 10; /* warm-up: the first tenth */
    uint64_t n = got - skip, *l = lat + skip;
    qsort(l, n, sizeof *l, s_cmp);
    printf("rate=%.0f frames=%llu received=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", rate,
           (unsigned long long)total, (unsigned long long)got, n ? l[n / 2] / 1e3 : 0,
           n ? l[n * 99 / 100] / 1e3 : 0, n ? l[n - 1] / 1e3 : 0);
}

static pb_sub_t *s_subscriber(const char *pub_ep, const char *dir, const s_curve_t *curve)
{
    char query[512], err[256] = "";
    snprintf(query, sizeof query, dir ? "ipc://%s/latency-query" : "tcp://127.0.0.1:*", dir);
    pb_sub_config_t c;
    memset(&c, 0, sizeof c);
    c.connect[c.nconnect++] = pub_ep;
    c.query = query;
    c.curve_secret = curve->client;
    c.curve_server_key[0] = curve->server;
    pb_sub_t *sub = pb_sub_new(&c, err, sizeof err);
    if (!sub)
        fprintf(stderr, "pb-bench: subscriber: %s\n", err);
    return sub;
}

/* The reference: a plain SUB socket in its own context, receiving each
 * frame the way pb_sub does but doing nothing else with it. */
static uint64_t s_collect_raw(void *sub, const s_gen_t *g, uint64_t *lat, uint64_t deadline)
{
    uint64_t got = 0;
    zmq_msg_t part;
    zmq_msg_init(&part);
    while (got < g->total && pb_bench_mono_ns() < deadline) {
        if (zmq_msg_recv(&part, sub, 0) < 0) /* RCVTIMEO: checks the deadline */
            continue;
        if (zmq_msg_more(&part))
            continue; /* the topic; the payload follows */
        lat[got] = pb_bench_mono_ns() - __atomic_load_n(&g->sent[got], __ATOMIC_ACQUIRE);
        got++;
    }
    zmq_msg_close(&part);
    return got;
}

typedef struct {
    pb_sub_t *sub;   /* perfbus-sub's loop, or */
    void *ctx, *raw; /* a raw SUB socket */
} s_receiver_t;

static int s_receiver_open(s_receiver_t *r, const char *ep, const char *dir, bool raw,
                           const s_curve_t *curve)
{
    if (!raw) {
        r->sub = s_subscriber(ep, dir, curve);
        return r->sub ? 0 : -EINVAL;
    }
    r->ctx = zmq_ctx_new();
    r->raw = zmq_socket(r->ctx, ZMQ_SUB);
    int hwm = 100000, timeout = 100, zero = 0;
    zmq_setsockopt(r->raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(r->raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(r->raw, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(r->raw, ZMQ_SUBSCRIBE, "", 0);
    if (curve->server && pb_bench_curve_client(r->raw, curve->client, curve->server) < 0)
        return -EINVAL;
    return zmq_connect(r->raw, ep) == 0 ? 0 : -EINVAL;
}

static void s_receiver_close(s_receiver_t *r)
{
    pb_sub_destroy(&r->sub);
    if (r->raw)
        zmq_close(r->raw);
    if (r->ctx)
        zmq_ctx_term(r->ctx);
}

static int s_run(s_gen_t *g, const char *dir, double seconds, double rate, bool raw,
                 const s_curve_t *curve)
{
    char ep[512], buf[64];
    size_t len = sizeof ep;
    zmq_getsockopt(g->pub, ZMQ_LAST_ENDPOINT, ep, &len);
    s_receiver_t r = {0};
    int rc = s_receiver_open(&r, ep, dir, raw, curve);
    if (rc < 0 || zmq_recv(g->pub, buf, sizeof buf, 0) < 0) { /* the subscription arrived */
        s_receiver_close(&r);
        return -ENOTCONN;
    }
    uint64_t *lat = calloc(g->total, sizeof *lat);
    pthread_t thread;
    rc = lat ? pthread_create(&thread, NULL, s_generate, g) : ENOMEM;
    if (rc == 0) {
        uint64_t deadline = pb_bench_mono_ns() + (uint64_t)((seconds + 5) * 1e9);
        uint64_t got =
            raw ? s_collect_raw(r.raw, g, lat, deadline) : s_collect(r.sub, g, lat, deadline);
        s_report(lat, got, g->total, rate);
        pthread_join(thread, NULL);
    }
    free(lat);
    s_receiver_close(&r);
    return -rc;
}

static void *s_bind(void *ctx, const char *dir, const char *curve_secret)
{
    char ep[512];
    snprintf(ep, sizeof ep, dir ? "ipc://%s/latency-pub" : "tcp://127.0.0.1:*", dir);
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    if (pb_bench_curve_server(pub, curve_secret) < 0) {
        zmq_close(pub);
        return NULL;
    }
    int zero = 0, timeout = 10000;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero); /* never drop: the count must match */
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind(pub, ep) == 0)
        return pub;
    fprintf(stderr, "pb-bench: cannot bind %s: %s\n", ep, zmq_strerror(errno));
    zmq_close(pub);
    return NULL;
}

int pb_bench_latency(int argc, char **argv)
{
    const char *path = pb_bench_opt(argc, argv, "--templates", NULL);
    const char *dir = pb_bench_opt(argc, argv, "--ipc-dir", NULL); /* absent: tcp loopback */
    double rate = pb_bench_num(argc, argv, "--rate", 1000);
    double seconds = pb_bench_num(argc, argv, "--seconds", 5);
    double procs = pb_bench_num(argc, argv, "--procs", 10);
    s_curve_t curve = {pb_bench_opt(argc, argv, "--curve-secret", NULL),
                       pb_bench_opt(argc, argv, "--curve-client", NULL)};
    if (!path || rate <= 0 || rate > 1e6 || seconds <= 0 || procs < 0 ||
        !curve.server != !curve.client) {
        fprintf(stderr, "usage: pb-bench latency --templates FILE [--ipc-dir DIR] [--rate R] "
                        "[--seconds S] [--procs N] [--raw yes] [--curve-secret SERVER_CERT "
                        "--curve-client CLIENT_CERT]\n");
        return 2;
    }
    s_gen_t g = {.total = (uint64_t)(rate * seconds), .period_ns = (uint64_t)(1e9 / rate)};
    g.templates = pb_bench_frames_load(path, (size_t)procs, "benchhost", "bench-latency");
    g.sent = calloc(g.total, sizeof *g.sent);
    void *ctx = zmq_ctx_new();
    g.pub = g.templates && g.sent ? s_bind(ctx, dir, curve.server) : NULL;
    bool raw = pb_bench_opt(argc, argv, "--raw", NULL) != NULL;
    int rc = g.pub ? s_run(&g, dir, seconds, rate, raw, &curve) : -EINVAL;
    if (rc < 0)
        fprintf(stderr, "pb-bench: latency run failed: %s\n", strerror(-rc));
    if (g.pub)
        zmq_close(g.pub);
    zmq_ctx_term(ctx);
    free(g.sent);
    pb_bench_frames_destroy(&g.templates);
    return rc < 0 ? 1 : 0;
}
