/* pb_bench_bus: bus figures — capture real frames, blast them, count them raw or via perfbus-sub.
 */
#include "pb_bench_bus.h"

#include "pb_bench_frames.h"
#include "pb_bench_util.h"
#include "pb_frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#define S_MAX_CAPTURE 64

/* ---- capture ---- */

typedef struct {
    char topics[S_MAX_CAPTURE][128];
    void *payloads[S_MAX_CAPTURE];
    size_t lens[S_MAX_CAPTURE], n;
} s_capture_t;

/* Keeps the newest non-first frame per topic (first frames carry no rates). */
static void s_capture_keep(s_capture_t *c, const char *topic, const void *payload, size_t len)
{
    if (memmem(payload, len,
               "\xa5"
               "first\xc3",
               7) ||
        memmem(payload, len, "\xa4gone", 5))
        return;
    size_t i = 0;
    while (i < c->n && strcmp(c->topics[i], topic) != 0)
        i++;
    if (i == S_MAX_CAPTURE)
        return;
    void *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, payload, len);
    if (i == c->n)
        c->n++;
    free(c->payloads[i]);
    snprintf(c->topics[i], sizeof c->topics[i], "%s", topic);
    c->payloads[i] = copy;
    c->lens[i] = len;
}

static int s_capture_one(void *sub, s_capture_t *c)
{
    char topic[128];
    int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
    if (n < 0)
        return -errno;
    topic[n < (int)sizeof topic ? n : (int)sizeof topic - 1] = '\0';
    zmq_msg_t payload;
    zmq_msg_init(&payload);
    if (zmq_msg_recv(&payload, sub, 0) >= 0)
        s_capture_keep(c, topic, zmq_msg_data(&payload), zmq_msg_size(&payload));
    zmq_msg_close(&payload);
    return 0;
}

int pb_bench_capture(int argc, char **argv)
{
    const char *from = pb_bench_opt(argc, argv, "--from", NULL);
    const char *out = pb_bench_opt(argc, argv, "--out", NULL);
    double seconds = pb_bench_num(argc, argv, "--seconds", 2);
    if (!from || !out || seconds <= 0) {
        fprintf(stderr, "usage: pb-bench capture --from EP --out FILE [--seconds S]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout = 200;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "sys.", 4);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "proc.", 5);
    zmq_connect(sub, from);
    static s_capture_t c;
    uint64_t end = pb_bench_mono_ns() + (uint64_t)(seconds * 1e9);
    while (pb_bench_mono_ns() < end)
        s_capture_one(sub, &c);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    int rc = pb_bench_frames_save_raw(out, (const void *const *)c.payloads, c.lens, c.n);
    printf("captured=%zu\n", c.n);
    for (size_t i = 0; i < c.n; i++)
        free(c.payloads[i]);
    if (rc < 0 || c.n < 2)
        fprintf(stderr, "pb-bench: capture from %s: %zu frames, %s\n", from, c.n, strerror(-rc));
    return rc < 0 || c.n < 2 ? 1 : 0;
}

/* ---- blast: as fast as the socket takes them ---- */

static pb_bench_frames_t *s_templates(int argc, char **argv)
{
    const char *path = pb_bench_opt(argc, argv, "--templates", NULL);
    double procs = pb_bench_num(argc, argv, "--procs", 10);
    char src[64];
    snprintf(src, sizeof src, "bench-%d", (int)getpid());
    pb_bench_frames_t *t =
        path && procs >= 0 ? pb_bench_frames_load(path, (size_t)procs, "benchhost", src) : NULL;
    if (!t)
        fprintf(stderr, "pb-bench: cannot load templates from %s: %s\n", path ? path : "(none)",
                path ? strerror(errno) : "--templates is required");
    return t;
}

/* Sends one frame of the cycle; seq counts every frame sent. */
static int s_send_next(void *pub, pb_bench_frames_t *t, uint64_t *seq, uint64_t ts)
{
    size_t i = (size_t)(*seq % pb_bench_frames_count(t));
    const pb_bench_frame_t *f = pb_bench_frames_stamp(t, i, *seq, ts);
    int rc = pb_bench_send(pub, f->topic, f->topic_len, f->payload, f->payload_len);
    if (rc == 0)
        (*seq)++;
    return rc;
}

int pb_bench_blast(int argc, char **argv)
{
    const char *bind = pb_bench_opt(argc, argv, "--bind", NULL);
    double seconds = pb_bench_num(argc, argv, "--seconds", 5);
    pb_bench_frames_t *t = bind && seconds > 0 ? s_templates(argc, argv) : NULL;
    if (!t) {
        fprintf(stderr, "usage: pb-bench blast --templates FILE --bind EP [--endpoint-file F] "
                        "[--procs N] [--seconds S] [--curve-secret CERT]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new(),
         *pub = pb_bench_xpub(ctx, bind, pb_bench_opt(argc, argv, "--endpoint-file", NULL), 10000,
                              pb_bench_opt(argc, argv, "--curve-secret", NULL));
    uint64_t seq = 1ull << 32, start = pb_bench_mono_ns(), now = start;
    uint64_t end = start + (uint64_t)(seconds * 1e9);
    int rc = pub ? 0 : -ENOTCONN;
    while (rc == 0 && now < end) {
        for (int i = 0; i < 256 && rc == 0; i++)
            rc = s_send_next(pub, t, &seq, pb_frame_now_ns());
        now = pb_bench_mono_ns();
    }
    printf("sent=%llu seconds=%.3f mean_bytes=%.1f\n", (unsigned long long)(seq - (1ull << 32)),
           (double)(now - start) / 1e9, pb_bench_frames_mean_bytes(t));
    if (pub)
        zmq_close(pub);
    zmq_ctx_term(ctx);
    pb_bench_frames_destroy(&t);
    return rc < 0 ? 1 : 0;
}

/* User + system CPU of this process (every thread) in µs. */
static double s_self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* utime + stime of another process in µs, from /proc/PID/stat; -1 when unreadable. */
static double s_proc_cpu_us(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- sink: the raw libzmq ceiling, receiving the way perfbus-sub does ---- */

static int s_recv_two(void *sub, uint64_t *bytes)
{
    zmq_msg_t topic, payload;
    zmq_msg_init(&topic);
    zmq_msg_init(&payload);
    int rc = zmq_msg_recv(&topic, sub, 0) < 0 ? -errno : 0;
    if (rc == 0 && zmq_msg_more(&topic))
        rc = zmq_msg_recv(&payload, sub, 0) < 0 ? -errno : 0;
    *bytes += zmq_msg_size(&payload);
    zmq_msg_close(&topic);
    zmq_msg_close(&payload);
    return rc;
}

int pb_bench_sink(int argc, char **argv)
{
    const char *connect = pb_bench_opt(argc, argv, "--connect", NULL);
    double seconds = pb_bench_num(argc, argv, "--seconds", 5);
    if (!connect || seconds <= 0) {
        fprintf(stderr, "usage: pb-bench sink --connect EP [--seconds S] [--curve-secret CERT "
                        "--curve-server-key CERT|KEY]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
    if (pb_bench_curve_client(sub, pb_bench_opt(argc, argv, "--curve-secret", NULL),
                              pb_bench_opt(argc, argv, "--curve-server-key", NULL)) < 0) {
        zmq_close(sub);
        zmq_ctx_term(ctx);
        return 2;
    }
    int hwm = 100000, timeout = 10000; /* perfbus-sub's RCVHWM */
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(sub, connect);
    uint64_t frames = 0, bytes = 0;
    int rc = s_recv_two(sub, &bytes); /* the clock starts at the first frame */
    double cpu0 = s_self_cpu_us();
    uint64_t start = pb_bench_mono_ns(), now = start, end = start + (uint64_t)(seconds * 1e9);
    for (bytes = 0; rc == 0 && now < end; now = pb_bench_mono_ns()) {
        rc = s_recv_two(sub, &bytes);
        frames += rc == 0;
    }
    double s = (double)(now - start) / 1e9, cpu = s_self_cpu_us() - cpu0;
    printf("frames=%llu seconds=%.3f fps=%.0f mbps=%.2f cpu_us_per_frame=%.2f\n",
           (unsigned long long)frames, s, (double)frames / s, (double)bytes / s / 1e6,
           frames ? cpu / (double)frames : 0);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return rc < 0 ? 1 : 0;
}

/* ---- watch: perfbus-sub's own count over a window ---- */

int pb_bench_watch(int argc, char **argv)
{
    const char *query = pb_bench_opt(argc, argv, "--query", NULL);
    double seconds = pb_bench_num(argc, argv, "--seconds", 5);
    double skip = pb_bench_num(argc, argv, "--skip", 1);
    if (!query || seconds <= 0 || skip < 0) {
        fprintf(stderr, "usage: pb-bench watch --query EP [--pid PID] [--skip S] [--seconds S]\n");
        return 2;
    }
    long pid = (long)pb_bench_num(argc, argv, "--pid", 0);
    uint64_t f0, f1, lost0, lost1, bad0, bad1;
    usleep((useconds_t)(skip * 1e6));
    double cpu0 = pid > 0 ? s_proc_cpu_us(pid) : 0;
    uint64_t t0 = pb_bench_mono_ns();
    if (pb_bench_sub_stats(query, &f0, &lost0, &bad0) < 0)
        return 1;
    usleep((useconds_t)(seconds * 1e6));
    uint64_t t1 = pb_bench_mono_ns();
    double cpu = pid > 0 ? s_proc_cpu_us(pid) - cpu0 : 0;
    if (pb_bench_sub_stats(query, &f1, &lost1, &bad1) < 0)
        return 1;
    double s = (double)(t1 - t0) / 1e9;
    printf("frames=%llu seconds=%.3f fps=%.0f lost=%llu decode_errors=%llu "
           "cpu_us_per_frame=%.2f\n",
           (unsigned long long)(f1 - f0), s, (double)(f1 - f0) / s,
           (unsigned long long)(lost1 - lost0), (unsigned long long)bad1,
           f1 > f0 ? cpu / (double)(f1 - f0) : 0);
    return 0;
}

/* ---- fill: an hour (or any span) of history at 1 s, flow-controlled ---- */

/* Waits until perfbus-sub has taken at least want frames (30 s at most). */
static int s_wait_taken(const char *query, uint64_t want)
{
    uint64_t frames = 0, lost, bad, end = pb_bench_mono_ns() + 30000000000ull;
    while (pb_bench_sub_stats(query, &frames, &lost, &bad) == 0 && frames < want) {
        if (pb_bench_mono_ns() > end)
            return -ETIMEDOUT;
        usleep(2000);
    }
    return frames >= want ? 0 : -EIO;
}

static int s_fill_ticks(void *pub, pb_bench_frames_t *t, const char *query, uint64_t ticks,
                        uint64_t *bytes)
{
    size_t n = pb_bench_frames_count(t);
    uint64_t seq = 1ull << 32, ts0 = pb_frame_now_ns() - ticks * 1000000000ull;
    int rc = 0;
    for (uint64_t k = 0; rc == 0 && k < ticks; k++) {
        for (size_t i = 0; i < n && rc == 0; i++, seq++) {
            const pb_bench_frame_t *f = pb_bench_frames_stamp(t, i, seq, ts0 + k * 1000000000ull);
            rc = pb_bench_send(pub, f->topic, f->topic_len, f->payload, f->payload_len);
            *bytes += f->payload_len;
        }
        if (rc == 0 && (k + 1) % 20 == 0)
            rc = s_wait_taken(query, seq - (1ull << 32) - 2 * n);
    }
    return rc ? rc : s_wait_taken(query, seq - (1ull << 32));
}

int pb_bench_fill(int argc, char **argv)
{
    const char *bind = pb_bench_opt(argc, argv, "--bind", NULL);
    const char *query = pb_bench_opt(argc, argv, "--query", NULL);
    double ticks = pb_bench_num(argc, argv, "--history-s", 3600);
    pb_bench_frames_t *t = bind && query && ticks > 0 ? s_templates(argc, argv) : NULL;
    if (!t) {
        fprintf(stderr, "usage: pb-bench fill --templates FILE --bind EP --query EP [--procs N] "
                        "[--history-s S]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new(),
         *pub = pb_bench_xpub(ctx, bind, pb_bench_opt(argc, argv, "--endpoint-file", NULL), 10000,
                              pb_bench_opt(argc, argv, "--curve-secret", NULL));
    uint64_t bytes = 0, start = pb_bench_mono_ns();
    int rc = pub ? s_fill_ticks(pub, t, query, (uint64_t)ticks, &bytes) : -ENOTCONN;
    double s = (double)(pb_bench_mono_ns() - start) / 1e9;
    printf("frames=%llu payload_bytes=%llu seconds=%.3f\n",
           (unsigned long long)((uint64_t)ticks * pb_bench_frames_count(t)),
           (unsigned long long)bytes, s);
    if (rc < 0)
        fprintf(stderr, "pb-bench: fill failed: %s\n", strerror(-rc));
    if (pub)
        zmq_close(pub);
    zmq_ctx_term(ctx);
    pb_bench_frames_destroy(&t);
    return rc < 0 ? 1 : 0;
}
