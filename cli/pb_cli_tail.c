/* pb_cli_tail: `perfbus tail [PREFIX]` — decodes live bus frames, one per line. */
#include "pb_cli_daemon.h"
#include "pb_cli_view.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_json.h"
#include "pb_rpc.h"
#include "pb_stop.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* One short human line per frame: time, topic, then what matters for its type. */
static void s_print_human(const char *topic, const pb_value_t *f)
{
    uint64_t ts = 0;
    pb_value_map_get_u64(f, "ts", &ts);
    time_t secs = (time_t)(ts / 1000000000u);
    struct tm tm;
    char when[16], shown[4 * 256];
    strftime(when, sizeof when, "%H:%M:%S", localtime_r(&secs, &tm));
    printf("%s.%03u %-28s", when, (unsigned)(ts / 1000000u % 1000u),
           pb_cli_term(shown, sizeof shown, topic));
    const char *type = "", *comm = "?";
    pb_value_map_get_str(f, "type", &type);
    if (!strcmp(type, "sys"))
        pb_cli_view_line(stdout, PB_VIEW_CLI_TAIL_SYS, "", f, PB_CLI_VIEW_ALIGN);
    else if (!strcmp(type, "proc") && pb_value_map_get_str(f, "comm", &comm) == 0 &&
             pb_value_map_get(f, "gone"))
        printf(" %s exited", pb_cli_term(shown, sizeof shown, comm));
    else if (!strcmp(type, "proc")) {
        printf(" %s", pb_cli_term_col(shown, sizeof shown, comm, 16));
        pb_cli_view_line(stdout, PB_VIEW_CLI_TAIL_PROC, "", f, PB_CLI_VIEW_ALIGN);
    } else if (!strcmp(type, "hb"))
        pb_cli_view_line(stdout, PB_VIEW_CLI_TAIL_HB, "", f, 0);
    putchar('\n');
}

/* Receives [topic][payload]; prints it. 1 printed, 0 skipped, <0 socket error. */
static int s_one_frame(void *sub, bool json)
{
    char topic[256];
    int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
    if (n < 0)
        return -errno;
    topic[n < (int)sizeof topic - 1 ? n : (int)sizeof topic - 1] = '\0';
    zmq_msg_t payload;
    zmq_msg_init(&payload);
    int more = 0;
    size_t len = sizeof more;
    zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &len);
    if (!more || zmq_msg_recv(&payload, sub, 0) < 0) {
        pb_cli_note("tail", "%s: frame without a payload part, skipped", topic);
        zmq_msg_close(&payload);
        return 0;
    }
    pb_value_t *frame = NULL;
    char err[128];
    int rc =
        pb_codec_decode(zmq_msg_data(&payload), zmq_msg_size(&payload), &frame, err, sizeof err);
    zmq_msg_close(&payload);
    if (rc < 0) {
        pb_cli_note("tail", "%s: undecodable payload (%s), skipped", topic, err);
        return 0;
    }
    if (json) {
        pb_json_write(stdout, frame, 0);
        putchar('\n');
    } else {
        s_print_human(topic, frame);
    }
    fflush(stdout);
    pb_value_destroy(&frame);
    return 1;
}

static int s_tail(const pb_cli_opts_t *opts, const char *prefix, long count,
                  volatile sig_atomic_t *stop)
{
    pb_curve_cert_t own;
    char server[PB_CURVE_Z85_LEN + 1];
    bool curve = false;
    int rc = pb_cli_curve(opts, &own, server, &curve);
    if (rc != 0)
        return rc;
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    pb_rpc_limit_socket(sub, PB_RPC_FRAMES); /* before connect: options are copied per pipe */
    if (curve)
        pb_curve_apply_client(sub, &own, server);
    rc = zmq_connect(sub, opts->endpoint);
    if (rc < 0)
        rc = pb_cli_error("tail", PB_CLI_USAGE, NULL, "cannot connect to %s: %s", opts->endpoint,
                          zmq_strerror(errno));
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
    for (long seen = 0; rc == 0 && !*stop && (count <= 0 || seen < count);) {
        int n = zmq_poll(&item, 1, opts->timeout_given ? opts->timeout_ms : -1);
        if (n == 0)
            rc = pb_cli_error("tail", PB_CLI_UNREACHABLE, "timeout",
                              "no frame from %s within %d ms (is perfbusd running?)",
                              opts->endpoint, opts->timeout_ms);
        else if (n > 0) {
            int got = s_one_frame(sub, opts->json);
            seen += got > 0;
        }
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return rc;
}

typedef struct {
    long count;
} s_tail_args_t;

static int s_tail_option(void *arg, const char *cmd, const char *name, const char *value)
{
    s_tail_args_t *a = arg;
    char *end = NULL;
    if (!strcmp(name, "count") && ((a->count = strtol(value, &end, 10)) <= 0 || *end))
        return pb_cli_usage_error(cmd, "--count wants a positive number");
    return -1;
}

int pb_cli_tail(int argc, char **argv)
{
    static const struct option options[] = {
        PB_CLI_COMMON_OPTIONS, {"count", required_argument, NULL, 0}, {NULL, 0, NULL, 0}};
    static const char *usage =
        "Usage: perfbus tail [TOPIC-PREFIX] [--json] [--count N] [--endpoint EP]\n"
        "                    [--timeout T]\n"
        "Prints live frames from a PUB endpoint (default perfbusd's), one per line;\n"
        "--json prints each whole frame as one JSON object. --timeout makes it\n"
        "exit with status 3 when no frame arrives for that long.\n"
        "Prefixes: sys. proc. proc.HOST.PID prof. hb.\n";
    pb_cli_opts_t opts = {.endpoint = PB_CLI_DAEMON_PUB, .timeout_ms = 5000};
    s_tail_args_t args = {0};
    int first;
    int rc = pb_cli_parse(argc, argv, options, &opts, usage, s_tail_option, &args, &first);
    if (rc >= 0)
        return rc;
    if (argc - first > 1)
        return pb_cli_usage_error(argv[0], "expected at most one topic prefix");
    return s_tail(&opts, first < argc ? argv[first] : "", args.count, pb_stop_install());
}
