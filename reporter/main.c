/* perfbus-report: renders stored runs as PDF, HTML, CSV or JSON, once or on a schedule. */
#include "pb_frame.h"
#include "pb_getopt.h"
#include "pb_log.h"
#include "pb_report.h"
#include "pb_run.h"
#include "pb_schedule.h"
#include "pb_stop.h"
#include "pb_source.h"
#include "pb_units.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_MAX_PIDS 256

typedef struct {
    pb_source_opts_t source;
    uint64_t pids[S_MAX_PIDS];
    unsigned formats;
    const char *out, *out_dir, *since, *until;
    uint64_t every_s, window_s;
    unsigned keep;
    int once, verbose;
} args_t;

static void s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: perfbus-report RUN|--store DIR [--from T] [--to T] [--host H] [--pid P]...\n"
        "                      [--format pdf|html|csv|json[,...]] [--out FILE]\n"
        "       perfbus-report --store DIR --every 1h [--window 1h] [--keep 48]\n"
        "                      [--format pdf,html] --out-dir DIR [--once | --since T [--until T]]\n"
        "RUN is a run directory or a run id of the store (--store DIR or the default). T is\n"
        "2026-01-01T10:00:00Z (UTC), @EPOCH_SECONDS or now-1h. With several formats\n"
        "--out's extension is replaced by each format's (default: report.<format>).\n"
        "--every renders one report per period, as a long-running process; --once\n"
        "renders the last finished period and exits (for a systemd timer); --since\n"
        "renders every finished period since T. Periods without data are skipped.\n"
        "-v/--verbose logs the time spent reading and rendering.\n"
        "\n"
        "  --store DIR         the store (default: $PERFBUS_STORE, else ~/.local/state/perfbus;\n"
        "                      see perfbus-store(5)); a RUN id is looked up there\n"
        "  --from T, --to T    only the records from the first T, up to the second\n"
        "  --host H            only this host's frames\n"
        "  --pid P[,P]...      only these processes (repeatable)\n"
        "  --format F[,F]...   pdf (default), html, csv, json\n"
        "  --out FILE          the report's file; --out-dir DIR for scheduled reports\n"
        "  --every T           a report per period T, whole seconds >= 1s (e.g. 90s, 15m,\n"
        "                      1.5h, 1d; bare: seconds)\n"
        "  --window T          each report covers the T before its period's end (default\n"
        "                      --every's); the same forms\n"
        "  --keep N            newest N reports of each format kept in --out-dir (0: all)\n"
        "  --once              render the last finished period and exit\n"
        "  --since T, --until T  render every period that ended in (T, T]\n"
        "  -h, --help          show this help and exit\n"
        "  --version           print the version and exit\n"
        "\n"
        "Exit status: 0 reports written (or nothing to do), 1 a run or store could not be\n"
        "read or a report not written, 2 a bad option or argument.\n");
}

static int s_bad(const char *what, const char *value)
{
    fprintf(stderr, "perfbus-report: bad %s '%s' (see --help)\n", what, value);
    return -EINVAL;
}

/* --every, --window: a pb_units duration of at least 1 s, kept in whole seconds. */
static int s_period(const char *flag, const char *arg, uint64_t *secs)
{
    char err[256];
    double d = 0;
    if (pb_units_duration(flag, arg, 1, &d, err, sizeof err) < 0) {
        fprintf(stderr, "perfbus-report: %s\n", err);
        return -EINVAL;
    }
    if (d < 1 || d > 1e10) {
        fprintf(stderr, "perfbus-report: %s: '%s' is out of range (1s to 317 years)\n", flag, arg);
        return -EINVAL;
    }
    *secs = (uint64_t)llround(d);
    return 0;
}

/* --keep: a whole number of reports. */
static int s_keep(const char *arg, unsigned *keep)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(arg, &end, 10);
    if (end == arg || *end || errno || arg[0] == '-' || n > 1000000) {
        fprintf(stderr,
                "perfbus-report: --keep: '%s' is not a whole number of reports (0..1000000)\n",
                arg);
        return -EINVAL;
    }
    *keep = (unsigned)n;
    return 0;
}

static int s_add_pids(args_t *a, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    int rc = copy ? 0 : -ENOMEM;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        unsigned long long pid = strtoull(tok, &end, 10);
        if (*end || end == tok || errno || a->source.npids == S_MAX_PIDS)
            rc = s_bad("--pid", tok);
        else
            a->pids[a->source.npids++] = pid;
    }
    free(copy);
    return rc;
}

static int s_option(args_t *a, int opt, const char *arg)
{
    char err[256];
    uint64_t now = pb_frame_now_ns();
    switch (opt) {
    case 's':
        a->source.store = arg;
        return 0;
    case 'f':
        return pb_report_parse_time(arg, now, &a->source.from_ns) ? s_bad("--from", arg) : 0;
    case 't':
        return pb_report_parse_time(arg, now, &a->source.to_ns) ? s_bad("--to", arg) : 0;
    case 'H':
        a->source.host = arg;
        return 0;
    case 'p':
        return s_add_pids(a, arg);
    case 'F':
        if (pb_report_parse_formats(arg, &a->formats, err, sizeof(err)) == 0)
            return 0;
        fprintf(stderr, "perfbus-report: %s\n", err);
        return -EINVAL;
    case 'o':
        a->out = arg;
        return 0;
    case 'd':
        a->out_dir = arg;
        return 0;
    case 'e':
        return s_period("--every", arg, &a->every_s);
    case 'w':
        return s_period("--window", arg, &a->window_s);
    case 'k':
        return s_keep(arg, &a->keep);
    case '1':
        a->once = 1;
        return 0;
    case 'S':
        a->since = arg;
        return 0;
    case 'U':
        a->until = arg;
        return 0;
    case 'v':
        a->verbose = 1;
        return 0;
    }
    return -EINVAL;
}

/* What getopt_long refused, in the words of every perfbus binary (pb_getopt). */
static int s_refused(const struct option *longs, int opt, const char *word)
{
    char err[512];
    int rc = pb_getopt_refusal(longs, opt, word, "--help", err, sizeof err);
    fprintf(stderr, "perfbus-report: %s\n", err);
    return rc;
}

static int s_parse(args_t *a, int argc, char **argv)
{
    static const struct option longs[] = {
        {"store", 1, 0, 's'},   {"from", 1, 0, 'f'},   {"to", 1, 0, 't'},   {"host", 1, 0, 'H'},
        {"pid", 1, 0, 'p'},     {"format", 1, 0, 'F'}, {"out", 1, 0, 'o'},  {"out-dir", 1, 0, 'd'},
        {"every", 1, 0, 'e'},   {"window", 1, 0, 'w'}, {"keep", 1, 0, 'k'}, {"once", 0, 0, '1'},
        {"since", 1, 0, 'S'},   {"until", 1, 0, 'U'},  {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
        {"verbose", 0, 0, 'v'}, {0, 0, 0, 0}};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:F:hv", longs, NULL)) != -1) {
        if (opt == 'h' || opt == 'V') {
            opt == 'h' ? s_usage(stdout) : (void)printf("perfbus-report %s\n", PB_VERSION);
            return 1;
        }
        if (opt == '?' || opt == ':')
            return s_refused(longs, opt, argv[optind - 1]);
        if (s_option(a, opt, optarg) < 0)
            return -EINVAL;
    }
    if (optind < argc)
        a->source.run = argv[optind++];
    if (optind < argc)
        return s_bad("argument", argv[optind]);
    a->source.pids = a->pids;
    return 0;
}

/* --out for one format of several: FILE's extension replaced by the format's. */
static void s_out_path(const args_t *a, pb_format_t format, char *buf, size_t size)
{
    const char *ext = pb_report_extension(format);
    if (!a->out) {
        snprintf(buf, size, "report.%s", ext);
        return;
    }
    if ((a->formats & (a->formats - 1)) == 0) {
        snprintf(buf, size, "%s", a->out);
        return;
    }
    const char *dot = strrchr(a->out, '.'), *slash = strrchr(a->out, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - a->out) : (int)strlen(a->out);
    snprintf(buf, size, "%.*s.%s", stem, a->out, ext);
}

static double s_seconds(void)
{
    return (double)pb_frame_now_ns() / 1e9;
}

static int s_render(const args_t *a, const pb_model_t *model, const char *source,
                    pb_progress_t *progress)
{
    char path[4096], err[512];
    for (unsigned f = 1; f <= PB_FORMAT_JSON; f <<= 1) {
        if (!(a->formats & f))
            continue;
        s_out_path(a, f, path, sizeof(path));
        double start = s_seconds();
        if (pb_report_render(model, source, f, path, progress, err, sizeof(err)) < 0) {
            fprintf(stderr, "perfbus-report: %s: %s\n", path, err);
            return 1;
        }
        if (a->verbose)
            pb_log_info("rendered %s in %.3f s", path, s_seconds() - start);
        printf("%s\n", path);
    }
    return 0;
}

static int s_one_shot(args_t *a)
{
    char source[512], err[512];
    pb_source_stats_t stats;
    pb_progress_t *progress = pb_progress_new(stderr);
    pb_model_t *model = pb_model_new();
    a->source.progress = progress;
    pb_source_describe(&a->source, source, sizeof(source));
    double start = s_seconds();
    int rc = model ? pb_source_load(&a->source, model, &stats, err, sizeof(err)) : -ENOMEM;
    if (rc == 0 && a->verbose)
        pb_log_info("read %llu records of %llu run(s) in %.3f s (%llu sealed segment(s), %llu "
                    "records, from rollups; %llu in part)",
                    (unsigned long long)stats.records, (unsigned long long)stats.runs,
                    s_seconds() - start, (unsigned long long)stats.rolled_segments,
                    (unsigned long long)stats.rolled_records,
                    (unsigned long long)stats.partial_segments);
    if (rc == 0 && stats.damage.torn + stats.damage.corrupt > 0)
        pb_log_warn("%s is damaged: %llu torn tail(s), %llu corrupt record(s) skipped", source,
                    (unsigned long long)stats.damage.torn,
                    (unsigned long long)stats.damage.corrupt);
    rc = rc ? rc : pb_report_check(model, source, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "perfbus-report: %s\n", rc == -ENOMEM ? "out of memory" : err);
    int status = rc < 0 ? 1 : s_render(a, model, source, progress);
    pb_progress_done(progress, "done");
    pb_progress_destroy(&progress);
    pb_model_destroy(&model);
    return status;
}

static int s_scheduled(args_t *a)
{
    pb_schedule_opts_t opts = {a->source, a->every_s, a->window_s ? a->window_s : a->every_s,
                               a->keep,   a->formats, a->out_dir};
    uint64_t now = pb_frame_now_ns(), since = 0, until = now;
    if (!a->out_dir || !a->source.store || a->source.run) {
        fprintf(stderr, "perfbus-report: --every needs --store DIR and --out-dir DIR\n");
        return 2;
    }
    if ((a->since && pb_report_parse_time(a->since, now, &since) < 0) ||
        (a->until && pb_report_parse_time(a->until, now, &until) < 0)) {
        s_bad("--since/--until", a->since ? a->since : a->until);
        return 2;
    }
    if (a->once || a->since) {
        if (!a->since)
            since = now / (opts.every_s * 1000000000ULL) * opts.every_s * 1000000000ULL - 1;
        return pb_schedule_backfill(&opts, since, until) < 0 ? 1 : 0;
    }
    return pb_schedule_loop(&opts, pb_stop_install()) < 0 ? 1 : 0;
}

static bool s_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A RUN given as an id is a directory of --store DIR, else of the default store: found
 * there (its path in buf, a->source.run pointing at it, store cleared), or an error saying
 * where it was looked for. 0, 1 (no such run, said) or 2 (bad usage, said). */
static int s_find_run(args_t *a, char *buf, size_t size)
{
    const char *run = a->source.run, *store = a->source.store;
    if (!run || strchr(run, '/') || (!store && s_is_dir(run)))
        return run && store ? 2 : 0;
    char where[4096], why[256];
    if (pb_run_store_where(store, where, sizeof where, why, sizeof why) < 0) {
        fprintf(stderr, "perfbus-report: no run directory '%s' here, and no store (%s)\n", run,
                why);
        return 1;
    }
    if ((size_t)snprintf(buf, size, "%s/%s", where, run) < size && s_is_dir(buf)) {
        a->source.run = store ? buf : run;
        a->source.store = NULL;
        return 0;
    }
    fprintf(stderr,
            "perfbus-report: no run '%s' in store %s (%s), nor a run directory '%s' here; "
            "`perfbus runs` lists a store's runs\n",
            run, where, why, run);
    return 1;
}

int main(int argc, char **argv)
{
    args_t a;
    memset(&a, 0, sizeof(a));
    pb_source_defaults(&a.source);
    a.formats = PB_FORMAT_PDF;
    pb_log_init("perfbus-report", false);
    int rc = s_parse(&a, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (a.every_s)
        return s_scheduled(&a);
    char run[4096];
    rc = s_find_run(&a, run, sizeof run);
    if (rc == 2 || (rc == 0 && !a.source.run == !a.source.store)) {
        fprintf(stderr, "perfbus-report: give a RUN (a directory, or an id with --store DIR) "
                        "or --store DIR (see --help)\n");
        return 2;
    }
    return rc ? rc : s_one_shot(&a);
}
