/* pb_cli_sub: `perfbus history|summary|processes|stats`, asking perfbus-sub's query socket. */
#include "pb_cli_sub.h"

#include "pb_units.h"
#include "pb_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_FIELDS 32

/* What a subscriber command was asked for. */
typedef struct {
    pb_cli_opts_t opts;
    long pid;      /* 0: none */
    double last_s; /* 0: none */
    const char *host;
    const char *fields[S_MAX_FIELDS];
    size_t nfields;
    bool summary; /* processes --summary */
} s_args_t;

static int s_parse_value(void *arg, const char *cmd, const char *name, const char *value)
{
    s_args_t *a = arg;
    char *end = NULL;
    if (!strcmp(name, "pid")) {
        a->pid = strtol(value, &end, 10);
        if (end == value || *end || a->pid <= 0 || a->pid > 4194304)
            return pb_cli_usage_error(cmd, "--pid wants a process id, got '%s'", value);
    } else if (!strcmp(name, "last")) {
        char err[160] = "";
        if (pb_units_duration("--last", value, 1, &a->last_s, err, sizeof err) < 0)
            return pb_cli_usage_error(cmd, "%s", err);
        if (!(a->last_s > 0))
            return pb_cli_usage_error(cmd, "--last wants a duration above 0 (e.g. 90s, 5m)");
    } else if (!strcmp(name, "host")) {
        a->host = value;
    } else if (!strcmp(name, "field")) {
        if (a->nfields == S_MAX_FIELDS)
            return pb_cli_usage_error(cmd, "at most %d --field options", S_MAX_FIELDS);
        a->fields[a->nfields++] = value;
    } else if (!strcmp(name, "summary")) {
        a->summary = true;
    }
    return -1;
}

/* Whether catalogue field f is a number perfbus-sub keeps (a counter, gauge or rate outside
 * lists) that --field name selects: its path, or a dotted prefix of it ("cpu.total"), as
 * perfbus-sub matches them. */
static bool s_field_selects(const pb_catalog_field_t *f, const char *name)
{
    size_t n = strlen(name);
    bool kept = f->kind == PB_KIND_COUNTER || f->kind == PB_KIND_GAUGE || f->kind == PB_KIND_RATE;
    return kept && !strchr(f->path, '[') && strncmp(f->path, name, n) == 0 &&
           (f->path[n] == '\0' || f->path[n] == '.');
}

/* Whether word is one of the ", "-separated words of list. */
static bool s_listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *at = list; *at; at += strcspn(at, ",") + (at[strcspn(at, ",")] ? 2 : 0))
        if (strncmp(at, word, n) == 0 && (at[n] == ',' || at[n] == '\0'))
            return true;
    return false;
}

/* The first word of every number of frame that --field can name, ", "-separated. */
static void s_field_roots(pb_catalog_frame_t frame, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const pb_catalog_field_t *f = pb_catalog_next(frame, NULL); f;
         f = pb_catalog_next(frame, f)) {
        char root[64];
        int len = snprintf(root, sizeof root, "%.*s", (int)strcspn(f->path, "."), f->path);
        if (!s_field_selects(f, root) || s_listed(buf, root) || used + (size_t)len + 3 >= size)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", root);
    }
}

/* Each --field must select a catalogued number of the series' frame type: a typo would
 * otherwise give an empty table and exit 0. PB_CLI_USAGE after naming it, else -1. */
static int s_check_fields(const char *cmd, const s_args_t *a, pb_catalog_frame_t frame)
{
    for (size_t i = 0; i < a->nfields; i++) {
        const pb_catalog_field_t *f = pb_catalog_next(frame, NULL);
        while (f && !s_field_selects(f, a->fields[i]))
            f = pb_catalog_next(frame, f);
        if (f)
            continue;
        char roots[1024];
        s_field_roots(frame, roots, sizeof roots);
        return pb_cli_usage_error(cmd,
                                  "unknown field '%s' in %s frames: a --field is a catalogued "
                                  "number's path or a dotted prefix of it (schemas/FIELDS.md), "
                                  "under one of: %s",
                                  a->fields[i], pb_catalog_frame_name(frame), roots);
    }
    return -1;
}

/* Parses the options of the subscriber commands. -1 to go on, else an exit code. */
static int s_parse(int argc, char **argv, const char *usage, s_args_t *a)
{
    static const struct option options[] = {PB_CLI_COMMON_OPTIONS,
                                            {"pid", required_argument, NULL, 0},
                                            {"last", required_argument, NULL, 0},
                                            {"host", required_argument, NULL, 0},
                                            {"field", required_argument, NULL, 0},
                                            {"summary", no_argument, NULL, 0},
                                            {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->opts = (pb_cli_opts_t){.endpoint = PB_CLI_SUB_QUERY, .timeout_ms = 2000};
    int first;
    int rc = pb_cli_parse(argc, argv, options, &a->opts, usage, s_parse_value, a, &first);
    if (rc < 0 && first < argc)
        return pb_cli_usage_error(argv[0], "unexpected argument '%s'", argv[first]);
    bool proc = a->pid || !strcmp(argv[0], "processes");
    return rc < 0 ? s_check_fields(argv[0], a, proc ? PB_FT_PROC : PB_FT_SYS) : rc;
}

/* {op, pid?, last?, host?, fields?} from the parsed arguments; NULL on ENOMEM. */
static pb_value_t *s_request(const char *op, const s_args_t *a)
{
    pb_value_t *req = pb_cli_op(op), *fields = a->nfields ? pb_value_array_new() : NULL;
    int rc = req ? 0 : -1;
    if (rc == 0 && a->pid)
        rc = pb_value_map_put_uint(req, "pid", (uint64_t)a->pid);
    if (rc == 0 && a->last_s > 0)
        rc = pb_value_map_put_float(req, "last", a->last_s);
    if (rc == 0 && a->host)
        rc = pb_value_map_put_str(req, "host", a->host);
    for (size_t i = 0; rc == 0 && fields && i < a->nfields; i++) {
        pb_value_t *f = pb_value_str_new(a->fields[i]);
        rc = f ? pb_value_array_push(fields, &f) : -1;
    }
    if (rc == 0 && fields)
        rc = pb_value_map_put(req, "fields", &fields);
    pb_value_destroy(&fields);
    if (rc < 0)
        pb_value_destroy(&req);
    return req;
}

static char *s_fmt_time(char *buf, size_t size, double ts_ns)
{
    if (isnan(ts_ns)) {
        snprintf(buf, size, "-");
        return buf;
    }
    time_t secs = (time_t)(ts_ns / 1e9);
    struct tm tm;
    char hms[16];
    strftime(hms, sizeof hms, "%H:%M:%S", localtime_r(&secs, &tm));
    snprintf(buf, size, "%s.%03d", hms, (int)fmod(ts_ns / 1e6, 1000));
    return buf;
}

static void s_print_series_head(const pb_value_t *r)
{
    const char *series = "?", *comm = NULL;
    char series_shown[1024], comm_shown[256];
    pb_value_map_get_str(r, "series", &series);
    pb_value_map_get_str(r, "comm", &comm);
    printf("%s%s%s%s\n", pb_cli_term(series_shown, sizeof series_shown, series), comm ? " (" : "",
           comm ? pb_cli_term(comm_shown, sizeof comm_shown, comm) : "", comm ? ")" : "");
}

/* One summary map as a table: field, count, min, mean, stddev, p50, p95, p99, max, each
 * value in its field's unit from the catalogue (frame: the series' frame type). */
static void s_print_summary_table(const pb_value_t *summary, pb_catalog_frame_t frame)
{
    static const char *const cols[] = {"min", "mean", "stddev", "p50", "p95", "p99", "max"};
    printf("  %-36s %9s", "field", "count");
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        printf(" %14s", cols[c]);
    putchar('\n');
    for (size_t i = 0; i < pb_value_len(summary); i++) {
        const pb_value_t *s = pb_value_map_value_at(summary, i);
        const char *name = pb_value_map_key_at(summary, i);
        const pb_catalog_field_t *f = pb_catalog_find(frame, name);
        char key[1024], v[64];
        printf("  %-36s %9s", pb_cli_term(key, sizeof key, name),
               pb_cli_fmt_num(v, sizeof v, pb_cli_num(s, "count")));
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            bool integer = f && f->json == PB_JT_INTEGER && c != 1 && c != 2;
            double x = pb_cli_num(s, cols[c]);
            printf(" %14s", f ? pb_cli_fmt_unit(v, sizeof v, f->unit, integer, x)
                              : pb_cli_fmt_num(v, sizeof v, x));
        }
        putchar('\n');
    }
}

/* The frame type of a reply's series: "proc.HOST.PID" is a process's, else the system's. */
static pb_catalog_frame_t s_series_frame(const pb_value_t *r)
{
    const char *series = "";
    pb_value_map_get_str(r, "series", &series);
    return strncmp(series, "proc.", 5) == 0 ? PB_FT_PROC : PB_FT_SYS;
}

static void s_print_summary(const pb_value_t *r)
{
    char from[32], to[32];
    s_print_series_head(r);
    printf("  %s samples from %s to %s\n", pb_cli_grouped(pb_cli_num(r, "samples")),
           s_fmt_time(from, sizeof from, pb_cli_num(r, "from_ns")),
           s_fmt_time(to, sizeof to, pb_cli_num(r, "to_ns")));
    s_print_summary_table(pb_value_map_get(r, "summary"), s_series_frame(r));
}

/* Rows of a history reply: time then one column per field. */
static void s_print_history(const pb_value_t *r)
{
    const pb_value_t *ts = pb_value_map_get(r, "ts"), *fields = pb_value_map_get(r, "fields");
    s_print_series_head(r);
    printf("  %-12s", "time");
    char key[1024];
    for (size_t j = 0; j < pb_value_len(fields); j++)
        printf(" %22s", pb_cli_term(key, sizeof key, pb_value_map_key_at(fields, j)));
    putchar('\n');
    pb_catalog_frame_t frame = s_series_frame(r);
    for (size_t i = 0; i < pb_value_len(ts); i++) {
        char when[32], v[64];
        printf("  %-12s", s_fmt_time(when, sizeof when, pb_cli_num(pb_value_array_at(ts, i), "")));
        for (size_t j = 0; j < pb_value_len(fields); j++) {
            const pb_catalog_field_t *f = pb_catalog_find(frame, pb_value_map_key_at(fields, j));
            double x = pb_cli_num(pb_value_array_at(pb_value_map_value_at(fields, j), i), "");
            printf(" %22s", f ? pb_cli_fmt_unit(v, sizeof v, f->unit, f->json == PB_JT_INTEGER, x)
                              : pb_cli_fmt_num(v, sizeof v, x));
        }
        putchar('\n');
    }
}

static int s_run(const s_args_t *a, pb_value_t *req, void (*human)(const pb_value_t *))
{
    pb_value_t *reply = NULL;
    int rc = pb_cli_request(&a->opts, &req, &reply);
    if (rc != PB_CLI_OK)
        return rc;
    if (a->opts.json)
        pb_cli_print_json(reply);
    else
        human(reply);
    pb_value_destroy(&reply);
    return PB_CLI_OK;
}

#define S_COMMON_USAGE "  --endpoint EP (default " PB_CLI_SUB_QUERY ")  --timeout T  --json\n"

int pb_cli_summary(int argc, char **argv)
{
    s_args_t a;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus summary [--pid P] [--last T] [--host H] [--field F]...\n"
                     "Count, min, mean, stddev, p50, p95, p99, max of every numeric field of\n"
                     "the system series (or of process P), over the history or the last T (a\n"
                     "duration: 90s, 5m; a bare number is seconds). A --field is a catalogued\n"
                     "number's path or a dotted prefix (cpu.total; schemas/FIELDS.md); an\n"
                     "unknown one is an error listing the valid first words.\n" S_COMMON_USAGE,
                     &a);
    return rc >= 0 ? rc : s_run(&a, s_request("summary", &a), s_print_summary);
}

int pb_cli_history(int argc, char **argv)
{
    s_args_t a;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus history [--pid P] [--last T] [--host H] [--field F]...\n"
                     "The samples kept by perfbus-sub, one row per frame. Without --field the\n"
                     "table shows a few key fields (--json: all of them).\n" S_COMMON_USAGE,
                     &a);
    if (rc >= 0)
        return rc;
    if (a.nfields == 0 && !a.opts.json) {
        pb_view_id_t view = a.pid ? PB_VIEW_CLI_HISTORY_PROC : PB_VIEW_CLI_HISTORY_SYS;
        pb_view_entry_t e;
        for (size_t i = 0; i < S_MAX_FIELDS && pb_view_entry(view, i, &e) == 0; i++)
            a.fields[a.nfields++] = e.path;
    }
    return s_run(&a, s_request("history", &a), s_print_history);
}

static void s_print_processes(const pb_value_t *r)
{
    const pb_value_t *list = pb_value_map_get(r, "processes");
    printf("%8s %-16s %-20s %-12s %8s %s\n", "PID", "COMM", "HOST", "LAST SEEN", "SAMPLES",
           "STATE");
    for (size_t i = 0; i < pb_value_len(list); i++) {
        const pb_value_t *p = pb_value_array_at(list, i);
        const char *comm = "?", *host = "?";
        bool gone = false;
        char when[32], comm_col[4 * 16 + 1], host_col[4 * 20 + 1];
        pb_value_map_get_str(p, "comm", &comm);
        pb_value_map_get_str(p, "host", &host);
        pb_value_get_bool(pb_value_map_get(p, "gone"), &gone);
        printf("%8.0f %s %s %-12s %8.0f %s\n", pb_cli_num(p, "pid"),
               pb_cli_term_col(comm_col, sizeof comm_col, comm, 16),
               pb_cli_term_col(host_col, sizeof host_col, host, 20),
               s_fmt_time(when, sizeof when, pb_cli_num(p, "last_seen_ns")),
               pb_cli_num(p, "samples"), gone ? "gone" : "live");
        if (pb_value_map_get(p, "summary"))
            s_print_summary_table(pb_value_map_get(p, "summary"), PB_FT_PROC);
    }
}

int pb_cli_processes(int argc, char **argv)
{
    s_args_t a;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus processes [--summary [--last T] [--field F]...] [--host H]\n"
                     "The processes perfbus-sub has history for; --summary adds the summary\n"
                     "table of each.\n" S_COMMON_USAGE,
                     &a);
    if (rc >= 0)
        return rc;
    if (a.pid)
        return pb_cli_usage_error(argv[0], "--pid does not apply (use perfbus summary --pid)");
    return s_run(&a, s_request(a.summary ? "processes_summary" : "processes", &a),
                 s_print_processes);
}

/* The HTTP face's line, and one block per remote_write URL. */
static void s_print_push(const pb_value_t *r)
{
    const pb_value_t *http = pb_value_map_get(r, "http");
    const char *addr = NULL;
    if (pb_value_map_get_str(http, "address", &addr) == 0)
        printf("http %s: %s requests (%s errors), %s scrapes\n", addr,
               pb_cli_grouped(pb_cli_num(http, "requests")),
               pb_cli_grouped(pb_cli_num(http, "errors")),
               pb_cli_grouped(pb_cli_num(http, "scrapes")));
    const pb_value_t *rws = pb_value_map_get(r, "remote_write");
    for (size_t i = 0; i < pb_value_len(rws); i++) {
        const pb_value_t *w = pb_value_array_at(rws, i);
        const char *url = "?", *why = NULL;
        char url_shown[1024], why_shown[1024], when[32];
        pb_value_map_get_str(w, "url", &url);
        printf("remote write %s: sent %s samples in %s requests  retried %s  failed %s "
               "(%s samples)  dropped %s  queue %s\n",
               pb_cli_term(url_shown, sizeof url_shown, url),
               pb_cli_grouped(pb_cli_num(w, "samples_sent")),
               pb_cli_grouped(pb_cli_num(w, "requests")), pb_cli_grouped(pb_cli_num(w, "retried")),
               pb_cli_grouped(pb_cli_num(w, "failed")),
               pb_cli_grouped(pb_cli_num(w, "failed_samples")),
               pb_cli_grouped(pb_cli_num(w, "dropped")),
               pb_cli_grouped(pb_cli_num(w, "queue_depth")));
        if (pb_value_map_get_str(w, "last_error", &why) == 0)
            printf("  last error at %s: %s\n",
                   s_fmt_time(when, sizeof when, pb_cli_num(w, "last_error_ts") * 1e9),
                   pb_cli_term(why_shown, sizeof why_shown, why));
    }
}

/* "14:02:11.204-14:02:21.530 (10.3 s)", or "since 14:02:11.204" while still down. */
static void s_print_period(const pb_value_t *p)
{
    char from[32], to[32];
    double f = pb_cli_num(p, "from_ns"), t = pb_cli_num(p, "to_ns");
    s_fmt_time(from, sizeof from, f);
    if (isnan(t))
        printf("  since %s", from);
    else
        printf("  %s-%s (%.1f s)", from, s_fmt_time(to, sizeof to, t), (t - f) / 1e9);
}

#define S_PERIODS_SHOWN 5

void pb_cli_print_hosts(const pb_value_t *reply)
{
    const pb_value_t *hosts = pb_value_map_get(reply, "hosts");
    for (size_t i = 0; i < pb_value_len(hosts); i++) {
        const pb_value_t *h = pb_value_array_at(hosts, i);
        const char *host = "?", *state = "?";
        char shown[1024], state_shown[64];
        pb_value_map_get_str(h, "host", &host);
        pb_value_map_get_str(h, "state", &state);
        printf("host %s: %s", pb_cli_term(shown, sizeof shown, host),
               pb_cli_term(state_shown, sizeof state_shown, state));
        const pb_value_t *down = pb_value_map_get(h, "down");
        size_t n = pb_value_len(down), first = n > S_PERIODS_SHOWN ? n - S_PERIODS_SHOWN : 0;
        if (strcmp(state, "untracked") != 0)
            printf(" (heartbeat %s s), down %s time(s)",
                   pb_cli_grouped(pb_cli_num(h, "hb_period_s")),
                   pb_cli_grouped(pb_cli_num(h, "down_total")));
        for (size_t k = first; k < n; k++)
            s_print_period(pb_value_array_at(down, k));
        putchar('\n');
    }
}

static void s_print_stats(const pb_value_t *r)
{
    char bytes[32];
    printf("frames %s (%s)  lost %s  bad messages %s  decode errors %s  envelope "
           "errors %s  dropped %s\n",
           pb_cli_grouped(pb_cli_num(r, "frames")),
           pb_cli_fmt_bytes(bytes, sizeof bytes, pb_cli_num(r, "bytes")),
           pb_cli_grouped(pb_cli_num(r, "lost")), pb_cli_grouped(pb_cli_num(r, "bad_messages")),
           pb_cli_grouped(pb_cli_num(r, "decode_errors")),
           pb_cli_grouped(pb_cli_num(r, "envelope_errors")),
           pb_cli_grouped(pb_cli_num(r, "dropped")));
    printf("history: %s series, %s\n", pb_cli_grouped(pb_cli_num(r, "history.series")),
           pb_cli_fmt_bytes(bytes, sizeof bytes, pb_cli_num(r, "history.memory_bytes")));
    const pb_value_t *pubs = pb_value_map_get(r, "publishers");
    for (size_t i = 0; i < pb_value_len(pubs); i++) {
        const pb_value_t *p = pb_value_array_at(pubs, i);
        const char *src = "?", *host = "?";
        char src_shown[1024], host_shown[1024];
        pb_value_map_get_str(p, "src", &src);
        pb_value_map_get_str(p, "host", &host);
        const char *state = "?";
        char state_shown[64];
        pb_value_map_get_str(p, "state", &state);
        printf("publisher %s (host %s): %s  frames %s  lost %s  out of order %s  seq "
               "%s..%s\n",
               pb_cli_term(src_shown, sizeof src_shown, src),
               pb_cli_term(host_shown, sizeof host_shown, host),
               pb_cli_term(state_shown, sizeof state_shown, state),
               pb_cli_grouped(pb_cli_num(p, "frames")), pb_cli_grouped(pb_cli_num(p, "lost")),
               pb_cli_grouped(pb_cli_num(p, "out_of_order")),
               pb_cli_grouped(pb_cli_num(p, "first_seq")),
               pb_cli_grouped(pb_cli_num(p, "last_seq")));
    }
    pb_cli_print_hosts(r);
    const char *run = NULL;
    char run_shown[1024];
    if (pb_value_map_get_str(pb_value_map_get(r, "recorder"), "run_id", &run) == 0)
        printf("recording run %s: %s records, %s\n", pb_cli_term(run_shown, sizeof run_shown, run),
               pb_cli_grouped(pb_cli_num(r, "recorder.records")),
               pb_cli_fmt_bytes(bytes, sizeof bytes, pb_cli_num(r, "recorder.bytes")));
    s_print_push(r);
}

int pb_cli_stats(int argc, char **argv)
{
    s_args_t a;
    int rc = s_parse(argc, argv,
                     "Usage: perfbus stats\n"
                     "Frames received, lost (seq gaps per publisher), decode errors, memory,\n"
                     "recorder, HTTP and remote write state of perfbus-sub.\n" S_COMMON_USAGE,
                     &a);
    return rc >= 0 ? rc : s_run(&a, pb_cli_op("stats"), s_print_stats);
}
