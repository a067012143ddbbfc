/* pb_cli_store: `perfbus runs|dump|replay` — stored runs, read through schemas/pb_run.h. */
#include "pb_cli_sub.h"
#include "pb_stop.h"

#include "pb_codec.h"
#include "pb_curve.h"
#include "pb_ipclock.h"
#include "pb_json.h"
#include "pb_run.h"
#include "pb_zap.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

typedef struct {
    pb_cli_opts_t opts;
    const char *store; /* NULL: the default store */
    const char *topic;
    const char *bind;
    double speed;
    int wait_ms;
    const char *curve_allow; /* replay: with opts.curve_secret, the PUB is a CURVE server */
    bool insecure;
} s_args_t;

static volatile sig_atomic_t *s_stop; /* set by pb_stop_install() in replay */
static pb_zap_t *s_zap;               /* replay with CURVE: subscribers' keys checked */
static int s_bind_lock = -1;          /* replay --bind ipc://: pb_ipc_lock, held until exit */

static int s_parse_value(void *arg, const char *cmd, const char *name, const char *value)
{
    s_args_t *a = arg;
    char *end = NULL;
    if (!strcmp(name, "store"))
        a->store = value;
    else if (!strcmp(name, "topic"))
        a->topic = value;
    else if (!strcmp(name, "bind"))
        a->bind = value;
    else if (!strcmp(name, "curve-allow"))
        a->curve_allow = value;
    else if (!strcmp(name, "insecure"))
        a->insecure = true;
    else if (!strcmp(name, "speed")) {
        a->speed = strtod(value, &end);
        if (end == value || *end || a->speed < 0 || !isfinite(a->speed))
            return pb_cli_usage_error(cmd, "--speed wants a factor >= 0, got '%s'", value);
    } else if (!strcmp(name, "wait-ms")) {
        long ms = strtol(value, &end, 10);
        if (end == value || *end || ms < 0 || ms > 600000)
            return pb_cli_usage_error(cmd, "--wait-ms wants 0..600000, got '%s'", value);
        a->wait_ms = (int)ms;
    }
    return -1;
}

/* Parses options; *first gets the first positional argument. -1 to go on. */
static int s_parse(int argc, char **argv, const char *usage, s_args_t *a, int *first)
{
    static const struct option options[] = {PB_CLI_COMMON_OPTIONS,
                                            {"store", required_argument, NULL, 0},
                                            {"topic", required_argument, NULL, 0},
                                            {"bind", required_argument, NULL, 0},
                                            {"speed", required_argument, NULL, 0},
                                            {"wait-ms", required_argument, NULL, 0},
                                            {"curve-allow", required_argument, NULL, 0},
                                            {"insecure", no_argument, NULL, 0},
                                            {NULL, 0, NULL, 0}};
    *a = (s_args_t){.speed = 1.0, .wait_ms = 500, .opts = {.timeout_ms = 2000}};
    return pb_cli_parse(argc, argv, options, &a->opts, usage, s_parse_value, a, first);
}

/* The store (--store or the default) into buf, a directory that exists; else prints where
 * it looked and why there (pb_run_store_where's words, as perfbus-report says them) and
 * returns -ENOENT. */
static int s_store(const s_args_t *a, const char *cmd, char *buf, size_t size)
{
    char why[256];
    struct stat st;
    int rc = pb_run_store_where(a->store, buf, size, why, sizeof why);
    if (rc == 0 && (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = -ENOENT;
    if (rc < 0)
        pb_cli_error(cmd, PB_CLI_REFUSED, "not_found", "no store at %s (%s)",
                     buf[0] ? buf : "any path", why);
    return rc;
}

static char *s_fmt_time(char *buf, size_t size, double ns)
{
    if (isnan(ns)) {
        snprintf(buf, size, "-");
        return buf;
    }
    time_t secs = (time_t)(ns / 1e9);
    struct tm tm;
    strftime(buf, size, "%Y-%m-%d %H:%M:%S", localtime_r(&secs, &tm));
    return buf;
}

static void s_print_runs(const pb_value_t *list)
{
    printf("%-26s %-19s %9s %-6s %9s %10s %6s %s\n", "RUN", "START", "DURATION", "STATE", "RECORDS",
           "ON DISK", "RATIO", "HOSTS");
    for (size_t i = 0; i < pb_value_len(list); i++) {
        const pb_value_t *r = pb_value_array_at(list, i);
        const char *id = "?";
        bool complete = false;
        char start[32], size[32], hosts[256] = "", id_shown[256];
        pb_value_map_get_str(r, "run_id", &id);
        pb_value_get_bool(pb_value_map_get(r, "complete"), &complete);
        const pb_value_t *hl = pb_value_map_get(r, "hosts");
        for (size_t h = 0; h < pb_value_len(hl); h++) {
            const char *name = "";
            char shown[256];
            pb_value_get_str(pb_value_array_at(hl, h), &name);
            snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", h ? "," : "",
                     pb_cli_term(shown, sizeof shown, name));
        }
        double secs = (pb_cli_num(r, "end_ns") - pb_cli_num(r, "start_ns")) / 1e9;
        double disk = pb_cli_num(r, "bytes"), raw = pb_cli_num(r, "raw_bytes");
        char ratio[16];
        snprintf(ratio, sizeof ratio, "%.1fx", disk > 0 && raw > 0 ? raw / disk : 1.0);
        printf("%-26s %-19s %8.1fs %-6s %9s %10s %6s %s\n",
               pb_cli_term(id_shown, sizeof id_shown, id),
               s_fmt_time(start, sizeof start, pb_cli_num(r, "start_ns")), secs,
               complete ? "done" : "open", pb_cli_grouped(pb_cli_num(r, "records")),
               pb_cli_fmt_bytes(size, sizeof size, disk), ratio, hosts);
    }
}

int pb_cli_runs(int argc, char **argv)
{
    s_args_t a;
    int first;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus runs [--store DIR] [--json]\n"
                     "Lists the stored runs, oldest first (store: schemas/STORAGE.md), with\n"
                     "their size on disk and compression ratio (bytes recorded / on disk).\n"
                     "The store is DIR, else $PERFBUS_STORE, else the default; a missing one\n"
                     "is an error (exit 1) naming where it looked.\n",
                     &a, &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return pb_cli_usage_error(argv[0], "unexpected argument '%s'", argv[first]);
    char store[PATH_MAX];
    pb_value_t *list = NULL;
    if (s_store(&a, argv[0], store, sizeof store) < 0)
        return PB_CLI_REFUSED;
    if ((rc = pb_run_list(store, &list)) < 0)
        return pb_cli_error(argv[0], PB_CLI_REFUSED, NULL, "cannot list %s: %s", store,
                            strerror(-rc));
    if (a.opts.json)
        pb_cli_print_json(list);
    else
        s_print_runs(list);
    pb_value_destroy(&list);
    return PB_CLI_OK;
}

static void s_problem(const char *path, uint64_t offset, const char *message, void *arg)
{
    (void)arg;
    pb_cli_note(NULL, "%s: offset %llu: %s", path, (unsigned long long)offset, message);
}

/* Says why RUN did not open: a path that is no run, or an id the store lacks (naming the
 * store, where it came from, and that RUN is no directory here either). */
static void s_no_run(const s_args_t *a, const char *cmd, const char *name, int err)
{
    char store[PATH_MAX], why[256];
    if (strchr(name, '/') || err != ENOENT) {
        pb_cli_error(cmd, PB_CLI_REFUSED, "not_found", "no run at '%s': %s", name, strerror(err));
        return;
    }
    pb_run_store_where(a->store, store, sizeof store, why, sizeof why);
    pb_cli_error(cmd, PB_CLI_REFUSED, "not_found",
                 "no run '%s' in store %s (%s), nor a run directory '%s' here", name,
                 store[0] ? store : "(none)", why, name);
}

/* Opens RUN (a directory, or a run id in the store). NULL after printing why. */
static pb_run_t *s_open_run(const s_args_t *a, const char *cmd, const char *name)
{
    char path[PATH_MAX], store[PATH_MAX], why[256];
    snprintf(path, sizeof path, "%s", name);
    if (a->store && !strchr(name, '/')) {
        int n = pb_run_store_where(a->store, store, sizeof store, why, sizeof why) < 0
                    ? -1
                    : snprintf(path, sizeof path, "%s/%s", store, name);
        if (n < 0 || (size_t)n >= sizeof path) {
            s_no_run(a, cmd, name, ENAMETOOLONG);
            return NULL;
        }
    }
    pb_run_t *run = pb_run_new(path);
    if (!run) {
        s_no_run(a, cmd, name, errno);
        return NULL;
    }
    pb_run_set_problem_fn(run, s_problem, NULL);
    if (a->topic && pb_run_set_filter(run, a->topic, 0, UINT64_MAX) < 0)
        pb_run_destroy(&run);
    return run;
}

/* One record: JSON {recv_ts, topic, frame} per line, or a short human line. */
static void s_print_record(const pb_record_t *rec, bool json)
{
    pb_value_t *frame = NULL;
    char why[128] = "";
    int rc = pb_codec_decode(rec->payload, rec->payload_len, &frame, why, sizeof why);
    if (json) {
        pb_value_t *line = pb_value_map_new();
        pb_value_map_put_uint(line, "recv_ts", rec->recv_ts);
        pb_value_map_put_str(line, "topic", rec->topic);
        if (rc == 0)
            pb_value_map_put(line, "frame", &frame);
        else
            pb_value_map_put(line, "payload",
                             &(pb_value_t *){pb_value_bin_new(rec->payload, rec->payload_len)});
        pb_json_write(stdout, line, 0);
        fputc('\n', stdout);
        pb_value_destroy(&line);
    } else {
        char when[32], topic[1024];
        printf("%s.%03u %-32s %6zu bytes  %s\n",
               s_fmt_time(when, sizeof when, (double)rec->recv_ts),
               (unsigned)(rec->recv_ts / 1000000u % 1000u),
               pb_cli_term(topic, sizeof topic, rec->topic), rec->payload_len, rc == 0 ? "" : why);
    }
    pb_value_destroy(&frame);
}

int pb_cli_dump(int argc, char **argv)
{
    s_args_t a;
    int first;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus dump RUN [--topic PREFIX] [--json] [--store DIR]\n"
                     "Prints the records of a run (a directory, or a run id in the store);\n"
                     "--json gives one {recv_ts, topic, frame} object per line. Damaged\n"
                     "records are skipped and reported on stderr.\n",
                     &a, &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one RUN");
    pb_run_t *run = s_open_run(&a, argv[0], argv[first]);
    if (!run)
        return PB_CLI_REFUSED;
    pb_record_t rec;
    while ((rc = pb_run_next(run, &rec)) == 1)
        s_print_record(&rec, a.opts.json);
    pb_segment_damage_t d = pb_run_damage(run);
    if (d.corrupt || d.torn || d.bad_header)
        pb_cli_note(NULL, "%llu records read, %llu corrupt, %llu torn, %llu bad headers",
                    (unsigned long long)d.records, (unsigned long long)d.corrupt,
                    (unsigned long long)d.torn, (unsigned long long)d.bad_header);
    pb_run_destroy(&run);
    return rc < 0 ? PB_CLI_REFUSED : PB_CLI_OK;
}

static uint64_t s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps in slices of at most 100 ms: a signal that lands between the check
 * of *s_stop and the wait would otherwise be noticed only at the target. With
 * CURVE the wait is a poll of the ZAP handler, which answers handshakes. */
static void s_sleep_until(uint64_t target_ns)
{
    for (uint64_t now = s_mono_ns(); now < target_ns && !*s_stop; now = s_mono_ns()) {
        uint64_t left = target_ns - now < 100000000u ? target_ns - now : 100000000u;
        struct timespec ts = {0, (long)left};
        zmq_pollitem_t item = {.socket = s_zap ? pb_zap_socket(s_zap) : NULL, .events = ZMQ_POLLIN};
        if (!s_zap)
            nanosleep(&ts, NULL); /* a signal cuts it short */
        else if (zmq_poll(&item, 1, (long)((left + 999999) / 1000000)) > 0)
            pb_zap_serve(s_zap, s_mono_ns());
    }
}

/* Publishes the run's records, spaced like their recv_ts divided by speed
 * (0: no spacing). Returns the number sent, or negative errno. */
static long s_publish(void *pub, pb_run_t *run, double speed)
{
    pb_record_t rec;
    uint64_t first = 0, start = s_mono_ns();
    long sent = 0;
    int rc = 0; /* a stop before the first record is a clean end */
    while (!*s_stop && (rc = pb_run_next(run, &rec)) == 1) {
        first = sent == 0 ? rec.recv_ts : first;
        if (speed > 0 && rec.recv_ts > first)
            s_sleep_until(start + (uint64_t)((double)(rec.recv_ts - first) / speed));
        if (zmq_send(pub, rec.topic, rec.topic_len, ZMQ_SNDMORE) < 0 ||
            zmq_send(pub, rec.payload, rec.payload_len, 0) < 0)
            return errno == EINTR ? sent : -errno;
        sent++;
        if (s_zap && sent % 64 == 0) /* subscribers that join late still get an answer */
            pb_zap_serve(s_zap, s_mono_ns());
    }
    return rc < 0 ? rc : sent;
}

/* With --curve-secret and --curve-allow, pub becomes a CURVE server under a
 * ZAP handler (s_zap). Returns 0 or prints why and returns -1. */
static int s_replay_curve(void *ctx, void *pub, const s_args_t *a, bool *curve)
{
    char err[512] = "";
    const char *secret = a->opts.curve_secret;
    *curve = secret && a->curve_allow;
    if (!secret != !a->curve_allow) {
        pb_cli_error("replay", PB_CLI_USAGE, NULL, "--curve-secret and --curve-allow go together");
        return -1;
    }
    if (!*curve)
        return 0;
    pb_curve_cert_t own;
    pb_curve_allow_t *allow = NULL;
    if (pb_curve_cert_load(&own, secret, err, sizeof err) == 0)
        allow = pb_curve_allow_new(a->curve_allow, err, sizeof err);
    s_zap = allow ? pb_zap_new(ctx, pub, NULL, 0, "replay pub") : NULL;
    if (s_zap)
        pb_zap_set_allow(s_zap, &allow);
    pb_curve_allow_destroy(&allow);
    if (!s_zap || pb_curve_apply_server(pub, &own) < 0) {
        pb_cli_error("replay", PB_CLI_USAGE, NULL, "%s", err[0] ? err : "cannot set up CURVE");
        return -1;
    }
    return 0;
}

static void *s_bind_pub(void *ctx, const s_args_t *a)
{
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int hwm = 0, linger = 5000;
    bool curve = false;
    char err[768];
    if (!pub)
        return NULL;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    int rc = s_replay_curve(ctx, pub, a, &curve);
    if (rc == 0 && pb_curve_check_bind(a->bind, curve, a->insecure, "perfbus replay --bind", err,
                                       sizeof err) < 0) {
        pb_cli_error("replay", PB_CLI_USAGE, NULL, "%s", err);
        rc = -1;
    }
    char why[512];
    if (rc == 0 &&
        pb_ipc_lock(a->bind, "perfbus replay --bind", &s_bind_lock, why, sizeof why) < 0) {
        pb_cli_error("replay", PB_CLI_REFUSED, "refused", "%s", why);
        rc = -1;
    }
    if (rc == 0 && zmq_bind(pub, a->bind) < 0) {
        pb_cli_error("replay", PB_CLI_REFUSED, "refused", "cannot bind %s: %s", a->bind,
                     zmq_strerror(errno));
        rc = -1;
    }
    if (rc < 0) {
        pb_zap_destroy(&s_zap);
        zmq_close(pub);
        return NULL;
    }
    return pub;
}

/* "ready": the endpoint as bound (tcp://127.0.0.1:* resolved to its port), on stderr, or
 * with --json as {"event": "ready", "bind", "endpoint", "run"} on stdout. */
static void s_say_ready(void *pub, const s_args_t *a, const char *run_id)
{
    char bound[512] = "";
    size_t size = sizeof bound;
    if (zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, bound, &size) < 0 || !bound[0])
        snprintf(bound, sizeof bound, "%s", a->bind);
    if (!a->opts.json) {
        fprintf(stderr, "perfbus replay: ready bind=%s endpoint=%s run=", a->bind, bound);
        pb_cli_term_put(stderr, run_id);
        fputc('\n', stderr);
        return;
    }
    pb_value_t *out = pb_value_map_new();
    pb_value_map_put_str(out, "event", "ready");
    pb_value_map_put_str(out, "bind", a->bind);
    pb_value_map_put_str(out, "endpoint", bound);
    pb_value_map_put_str(out, "run", run_id);
    pb_json_write(stdout, out, 0);
    fputc('\n', stdout);
    fflush(stdout);
    pb_value_destroy(&out);
}

static void s_say_done(long sent, bool json)
{
    if (sent < 0) {
        pb_cli_error("replay", PB_CLI_REFUSED, NULL, "publishing stopped: %s",
                     strerror((int)-sent));
        return;
    }
    if (!json) {
        fprintf(stderr, "perfbus replay: %ld records published\n", sent < 0 ? 0 : sent);
        return;
    }
    pb_value_t *out = pb_value_map_new();
    pb_value_map_put_str(out, "event", "done");
    pb_value_map_put_uint(out, "published", sent < 0 ? 0 : (uint64_t)sent);
    pb_json_write(stdout, out, 0);
    fputc('\n', stdout);
    fflush(stdout);
    pb_value_destroy(&out);
}

int pb_cli_replay(int argc, char **argv)
{
    s_args_t a;
    int first;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus replay RUN --bind EP [--speed X] [--topic PREFIX]\n"
                     "                      [--wait-ms MS] [--store DIR]\n"
                     "                      [--curve-secret FILE --curve-allow DIR] [--insecure]\n"
                     "Publishes a stored run on a PUB socket bound to EP, frames unchanged,\n"
                     "spaced as recorded divided by X (default 1; 0 = as fast as possible),\n"
                     "after waiting MS ms (default 500) for subscribers to connect. The ready\n"
                     "line on stderr names the endpoint bound (tcp://127.0.0.1:* gets a free\n"
                     "port); with --json, {\"event\": \"ready\", \"endpoint\": ...} and\n"
                     "{\"event\": \"done\", \"published\": N} lines go to stdout instead.\n"
                     "With --curve-secret (this host's certificate) and --curve-allow (the\n"
                     "subscribers' public certificates) the PUB uses CURVE; binding beyond\n"
                     "loopback without it needs --insecure.\n",
                     &a, &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc || !a.bind)
        return pb_cli_usage_error(argv[0], "expected RUN and --bind EP");
    if (pb_cli_check_endpoint(argv[0], "--bind", a.bind) != 0)
        return PB_CLI_USAGE;
    pb_run_t *run = s_open_run(&a, argv[0], argv[first]);
    void *ctx = run ? zmq_ctx_new() : NULL;
    void *pub = ctx ? s_bind_pub(ctx, &a) : NULL;
    long sent = -1;
    if (pub) {
        s_stop = pb_stop_install();
        s_say_ready(pub, &a, pb_run_id(run));
        s_sleep_until(s_mono_ns() + (uint64_t)a.wait_ms * 1000000u);
        sent = s_publish(pub, run, a.speed);
        s_say_done(sent, a.opts.json);
        pb_zap_destroy(&s_zap);
        zmq_close(pub);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    if (s_bind_lock >= 0)
        close(s_bind_lock);
    pb_run_destroy(&run);
    return sent < 0 ? PB_CLI_REFUSED : PB_CLI_OK;
}
