/* pb_source: pb_run records -> decoded frames -> pb_model, with the CLI's filters. */
#include "pb_source.h"

#include "pb_chart.h"
#include "pb_log.h"
#include "pb_rollread.h"
#include "pb_rollup.h"
#include "pb_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const pb_source_opts_t *opts;
    pb_model_t *model;
    pb_source_stats_t *stats;
    pb_model_filter_t filter;
    pb_rollread_t *rollread; /* a bucketed model's: sealed segments from their rollups */
    pb_value_t *list;        /* the store's runs (pb_run_list), listed once */
} load_t;

void pb_source_defaults(pb_source_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->to_ns = UINT64_MAX;
}

static void s_problem(const char *path, uint64_t offset, const char *message, void *arg)
{
    (void)arg;
    pb_log_warn("%s: offset %llu: %s", path, (unsigned long long)offset, message);
}

static int s_record(load_t *load, const pb_run_t *run, const pb_record_t *rec)
{
    char err[160];
    int rc = pb_model_add_at(load->model, rec->recv_ts, rec->payload, rec->payload_len,
                             &load->filter, err, sizeof err);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0) {
        load->stats->undecodable++;
        pb_log_warn("%s: record at offset %llu (%s): %s (skipped)", pb_run_id(run),
                    (unsigned long long)rec->offset, rec->topic, err);
    }
    return 0;
}

static void s_add_damage(pb_segment_damage_t *sum, pb_segment_damage_t d)
{
    sum->corrupt += d.corrupt;
    sum->torn += d.torn;
    sum->skipped_bytes += d.skipped_bytes;
    sum->bad_header += d.bad_header;
}

/* The run's perfbus-sub --down-after (config.down_after, absent before it was recorded: 3). */
static void s_down_after(pb_model_t *model, const pb_run_t *run)
{
    uint64_t n = 0;
    pb_value_map_get_u64(pb_value_map_get(pb_run_meta(run), "config"), "down_after", &n);
    pb_model_set_down_after(model, n <= 1000 ? (unsigned)n : 0);
}

static int s_load_run(load_t *load, const char *path, char *err, size_t errlen)
{
    pb_run_t *run = pb_run_new(path);
    if (!run) {
        int rc = errno ? -errno : -EIO;
        snprintf(err, errlen, "cannot open run '%s': %s", path,
                 rc == -ENOENT ? "no such run directory" : strerror(-rc));
        return rc;
    }
    pb_run_set_problem_fn(run, s_problem, NULL);
    if (load->rollread)
        pb_run_set_segment_fn(run, pb_rollread_segment, load->rollread);
    s_down_after(load->model, run);
    int rc = pb_run_set_filter(run, NULL, load->opts->from_ns, load->opts->to_ns);
    pb_record_t rec;
    while (rc == 0 && (rc = pb_run_next(run, &rec)) == 1) {
        if (++load->stats->records % 4096 == 0)
            pb_progress_update(load->opts->progress, "reading %s: %llu records", pb_run_id(run),
                               (unsigned long long)load->stats->records);
        rc = s_record(load, run, &rec);
    }
    if (rc == 0 && load->rollread && pb_rollread_end_run(load->rollread) < 0)
        rc = -ENOMEM;
    if (rc == 0 && pb_model_end_run(load->model) < 0)
        rc = -ENOMEM;
    s_add_damage(&load->stats->damage, pb_run_damage(run));
    load->stats->runs++;
    pb_run_destroy(&run);
    if (rc < 0)
        snprintf(err, errlen, "reading run '%s': %s", path, strerror(-rc));
    return rc < 0 ? rc : 0;
}

/* A run that was closed before the window opens cannot hold any of it. */
static int s_run_in_window(const pb_value_t *entry, const pb_source_opts_t *opts)
{
    uint64_t end;
    bool complete = false;
    pb_value_get_bool(pb_value_map_get(entry, "complete"), &complete);
    if (complete && pb_value_map_get_u64(entry, "end_ns", &end) == 0 && end < opts->from_ns)
        return 0;
    return 1;
}

static int s_list_store(load_t *load, char *err, size_t errlen)
{
    struct stat st;
    if (stat(load->opts->store, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "no such store directory: '%s'", load->opts->store);
        return -ENOENT;
    }
    int rc = pb_run_list_quick(load->opts->store, &load->list);
    if (rc < 0)
        snprintf(err, errlen, "cannot list store '%s': %s", load->opts->store, strerror(-rc));
    return rc;
}

static int s_load_store(load_t *load, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < pb_value_len(load->list) && rc == 0; i++) {
        const pb_value_t *entry = pb_value_array_at(load->list, i);
        const char *path;
        if (s_run_in_window(entry, load->opts) && pb_value_map_get_str(entry, "path", &path) == 0)
            rc = s_load_run(load, path, err, errlen);
    }
    return rc;
}

/* The span of recv_ts the window can hold: the window cut to the runs' start and end. */
static uint64_t s_span_s(const pb_source_opts_t *opts, uint64_t start, uint64_t end)
{
    uint64_t from = opts->from_ns > start ? opts->from_ns : start;
    uint64_t to = opts->to_ns < end ? opts->to_ns : end;
    return to > from ? (to - from) / 1000000000u : 0;
}

/* A run's span of recv_ts: its sealed segments' indexes, widened to run.meta's
 * start and end when it has .pbl segments (whose span only run.meta knows)
 * or no sealed one. (A synthetic run's run.meta holds the times it was
 * written at, its records older ones: the indexes are right.) */
static void s_run_span(const char *dir, const pb_value_t *meta, uint64_t *first, uint64_t *last,
                       size_t *hosts)
{
    pb_rollread_span_t span;
    size_t n = pb_value_len(pb_value_map_get(meta, "hosts"));
    *hosts = n > *hosts ? n : *hosts;
    uint64_t start = 0, end = 0;
    pb_value_map_get_u64(meta, "start_ns", &start);
    pb_value_map_get_u64(meta, "end_ns", &end);
    if (pb_rollread_run_span(dir, &span) < 0 || span.sealed == 0)
        span = (pb_rollread_span_t){start, end, 0, 1};
    else if (span.open) {
        span.first_ns = start && start < span.first_ns ? start : span.first_ns;
        span.last_ns = end > span.last_ns ? end : span.last_ns;
    }
    if (span.first_ns < *first)
        *first = span.first_ns;
    if (span.last_ns > *last)
        *last = span.last_ns;
}

/* PERFBUS_REPORT_RESOLUTION: auto (the default), raw, 60 or 3600. */
static int s_width_override(uint64_t *width)
{
    const char *env = getenv("PERFBUS_REPORT_RESOLUTION");
    if (!env || !*env || strcmp(env, "auto") == 0)
        return 0;
    if (strcmp(env, "raw") == 0)
        *width = 0;
    else if (strcmp(env, "60") == 0 || strcmp(env, "3600") == 0)
        *width = (uint64_t)atoi(env);
    else {
        pb_log_warn("PERFBUS_REPORT_RESOLUTION='%s' is not auto, raw, 60 or 3600: ignored", env);
        return 0;
    }
    return 1;
}

/* The window's span over the selected runs, and the most hosts one of them recorded. */
static uint64_t s_window_span(const load_t *load, size_t *hosts)
{
    const pb_source_opts_t *opts = load->opts;
    uint64_t first = UINT64_MAX, last = 0;
    *hosts = 0;
    if (opts->run) {
        pb_run_t *run = pb_run_new(opts->run);
        if (run)
            s_run_span(pb_run_dir(run), pb_run_meta(run), &first, &last, hosts);
        pb_run_destroy(&run);
    }
    for (size_t i = 0; i < pb_value_len(load->list); i++) {
        const pb_value_t *e = pb_value_array_at(load->list, i);
        const char *path;
        if (s_run_in_window(e, opts) && pb_value_map_get_str(e, "path", &path) == 0)
            s_run_span(path, e, &first, &last, hosts);
    }
    return first < last ? s_span_s(opts, first, last) : 0;
}

/* Buckets the model for a long window (pb_rollread.h) and readies the rollup reader. */
static int s_choose_width(load_t *load)
{
    uint64_t width = pb_model_bucket_s(load->model), span = 0;
    size_t hosts = 0;
    if (width == 0) {
        span = s_window_span(load, &hosts);
        if (!s_width_override(&width))
            width = pb_rollread_width(span);
        if (width == 0)
            return 0;
        hosts = load->opts->host || hosts == 0 ? 1 : hosts;
        int pct = width > PB_ROLLUP_FINE_S && span * hosts <= PB_ROLLREAD_PCT_FINE_UNTIL_S;
        pb_model_set_buckets(load->model, width, pct ? PB_ROLLUP_FINE_S : 0);
        pb_model_set_span(load->model, span);
    }
    load->rollread =
        pb_rollread_new(load->model, &load->filter, load->opts->from_ns, load->opts->to_ns);
    return load->rollread ? 0 : -ENOMEM;
}

static int s_load(load_t *load, char *err, size_t errlen)
{
    const pb_source_opts_t *opts = load->opts;
    if (opts->run) {
        struct stat st;
        if (strchr(opts->run, '/') && (stat(opts->run, &st) < 0 || !S_ISDIR(st.st_mode))) {
            snprintf(err, errlen, "no such run directory: '%s'", opts->run);
            return -ENOENT;
        }
    }
    int rc = opts->run ? 0 : s_list_store(load, err, errlen);
    if (rc < 0)
        return rc;
    if (s_choose_width(load) < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return opts->run ? s_load_run(load, opts->run, err, errlen) : s_load_store(load, err, errlen);
}

int pb_source_load(const pb_source_opts_t *opts, pb_model_t *model, pb_source_stats_t *stats,
                   char *err, size_t errlen)
{
    load_t load = {opts, model, stats, {opts->host, opts->pids, opts->npids}, NULL, NULL};
    memset(stats, 0, sizeof(*stats));
    if (!opts->run == !opts->store) {
        snprintf(err, errlen, "give either a run or --store DIR");
        return -EINVAL;
    }
    int rc = s_load(&load, err, errlen);
    if (load.rollread) {
        pb_rollread_stats_t rs;
        pb_rollread_stats(load.rollread, &rs);
        stats->rolled_segments = rs.rolled;
        stats->rolled_records = rs.records;
        stats->partial_segments = rs.partial;
    }
    pb_rollread_destroy(&load.rollread);
    pb_value_destroy(&load.list);
    return rc;
}

void pb_source_describe(const pb_source_opts_t *opts, char *buf, size_t size)
{
    char from[40] = "start", to[40] = "end";
    if (opts->from_ns > 0)
        pb_chart_format_time((double)opts->from_ns / 1e9, from, sizeof(from));
    if (opts->to_ns < UINT64_MAX)
        pb_chart_format_time((double)opts->to_ns / 1e9, to, sizeof(to));
    if (opts->run && opts->from_ns == 0 && opts->to_ns == UINT64_MAX)
        snprintf(buf, size, "run %s", opts->run);
    else
        snprintf(buf, size, "%s %s, %s to %s", opts->run ? "run" : "store",
                 opts->run ? opts->run : opts->store, from, to);
}
