/* pb_bench_util: the small pieces every bench command shares (options, clocks, sockets). */
#include "pb_bench_util.h"

#include "pb_curve.h"
#include "pb_rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

const char *pb_bench_opt(int argc, char **argv, const char *name, const char *fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

double pb_bench_num(int argc, char **argv, const char *name, double fallback)
{
    const char *s = pb_bench_opt(argc, argv, name, NULL);
    if (!s)
        return fallback;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0) {
        fprintf(stderr, "pb-bench: %s wants a non-negative number, not '%s'\n", name, s);
        return -1;
    }
    return v;
}

uint64_t pb_bench_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Writes the bound endpoint to path through a rename, so a reader never sees half of it. */
static int s_write_endpoint(void *sock, const char *path)
{
    char ep[512], tmp[4096];
    size_t len = sizeof ep;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) < 0)
        return -errno;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    int rc = fprintf(f, "%s\n", ep) < 0 ? -EIO : 0;
    if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0)
        return -EIO;
    return 0;
}

int pb_bench_curve_server(void *sock, const char *cert_path)
{
    char err[512] = "";
    pb_curve_cert_t own;
    int rc = cert_path ? pb_curve_cert_load(&own, cert_path, err, sizeof err) : 0;
    rc = rc == 0 && cert_path ? pb_curve_apply_server(sock, &own) : rc;
    if (rc < 0)
        fprintf(stderr, "pb-bench: CURVE server: %s\n", err[0] ? err : strerror(-rc));
    return rc;
}

int pb_bench_curve_client(void *sock, const char *cert_path, const char *server_key)
{
    if (!cert_path && !server_key)
        return 0;
    char err[512] = "", server[PB_CURVE_Z85_LEN + 1];
    pb_curve_cert_t own;
    int rc = cert_path && server_key ? 0 : -EINVAL;
    rc = rc ? rc : pb_curve_cert_load(&own, cert_path, err, sizeof err);
    rc = rc ? rc : pb_curve_server_key(server, server_key, err, sizeof err);
    rc = rc ? rc : pb_curve_apply_client(sock, &own, server);
    if (rc < 0)
        fprintf(stderr,
                "pb-bench: CURVE client (needs --curve-secret and --curve-server-key): %s\n",
                err[0] ? err : strerror(-rc));
    return rc;
}

void *pb_bench_xpub(void *ctx, const char *endpoint, const char *endpoint_file, int timeout_ms,
                    const char *curve_secret)
{
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0, one = 1;
    if (pb_bench_curve_server(pub, curve_secret) < 0) {
        zmq_close(pub);
        return NULL;
    }
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one); /* a full pipe blocks the sender */
    zmq_setsockopt(pub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_bind(pub, endpoint) < 0) {
        fprintf(stderr, "pb-bench: cannot bind %s: %s\n", endpoint, zmq_strerror(errno));
        zmq_close(pub);
        return NULL;
    }
    if (endpoint_file && s_write_endpoint(pub, endpoint_file) < 0) {
        fprintf(stderr, "pb-bench: cannot write %s\n", endpoint_file);
        zmq_close(pub);
        return NULL;
    }
    char sub[256];
    if (zmq_recv(pub, sub, sizeof sub, 0) < 0) {
        fprintf(stderr, "pb-bench: no subscriber on %s within %d ms\n", endpoint, timeout_ms);
        zmq_close(pub);
        return NULL;
    }
    return pub;
}

int pb_bench_send(void *sock, const void *topic, size_t topic_len, const void *payload, size_t len)
{
    if (zmq_send(sock, topic, topic_len, ZMQ_SNDMORE) < 0 || zmq_send(sock, payload, len, 0) < 0)
        return -errno;
    return 0;
}

int pb_bench_sub_stats(const char *endpoint, uint64_t *frames, uint64_t *lost,
                       uint64_t *decode_errors)
{
    pb_value_t *req = pb_value_map_new(), *reply = NULL;
    char err[256] = "";
    if (!req || pb_value_map_put_str(req, "op", "stats") < 0) {
        pb_value_destroy(&req);
        return -ENOMEM;
    }
    int rc = pb_rpc_call(endpoint, &req, 5000, &reply, err, sizeof err);
    rc = rc < 0 ? rc : pb_value_map_get_u64(reply, "frames", frames);
    if (rc == 0) {
        *lost = *decode_errors = 0;
        pb_value_map_get_u64(reply, "lost", lost);
        pb_value_map_get_u64(reply, "decode_errors", decode_errors);
    } else
        fprintf(stderr, "pb-bench: stats from %s failed: %s\n", endpoint,
                err[0] ? err : "no frames");
    pb_value_destroy(&reply);
    return rc;
}
