/* Unit tests of pb_rollread: rollups, raw records and mixes of them give the same bucketed model.
 */
#include "pb_rollread.h"

#include "pb_bucket.h"
#include "pb_codec.h"
#include "pb_outage.h"
#include "pb_run.h"
#include "pb_rollup.h"
#include "pb_source.h"
#include "pb_summary.h"
#include "pb_synth.h"
#include "pb_test_rollup.h"
#include "pb_table.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_NS  1000000000ull
#define S_T0  1767225600ull /* 2026-01-01T00:00:00Z */
#define HOURS 4

static char s_tmp[64];

static void s_setup(void)
{
    strcpy(s_tmp, "/tmp/pb_rollread_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_tmp));
    unsetenv("PERFBUS_REPORT_RESOLUTION");
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_tmp);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* A HOURS-long synthetic run (1 Hz, 3 processes, hourly segments) starting at
 * offset_s past S_T0, of format 1 or 2, into dir. */
static void s_write(int format, uint64_t offset_s, char *dir, size_t size)
{
    pb_synth_opts_t o;
    char store[128];
    pb_synth_defaults(&o);
    o.start_ns = (S_T0 + offset_s) * S_NS;
    o.samples = HOURS * 3600;
    o.spike_at = 5000;
    o.lose_every = 1000;
    o.format = format;
    o.segment_seconds = 3600;
    snprintf(store, sizeof store, "%s/store%d", s_tmp, format);
    ck_assert_int_eq(pb_synth_write(&o, store, dir, size), 0);
}

static pb_model_t *s_load_pct(const char *run, uint64_t width, uint64_t pct, uint64_t from_ns,
                              uint64_t to_ns, pb_source_stats_t *stats)
{
    pb_source_opts_t opts;
    char err[256];
    pb_source_defaults(&opts);
    opts.run = run;
    opts.from_ns = from_ns;
    opts.to_ns = to_ns;
    pb_model_t *model = pb_model_new();
    ck_assert_ptr_nonnull(model);
    if (width)
        pb_model_set_buckets(model, width, pct);
    ck_assert_int_eq(pb_source_load(&opts, model, stats, err, sizeof err), 0);
    return model;
}

static pb_model_t *s_load(const char *run, uint64_t width, uint64_t from_ns, uint64_t to_ns,
                          pb_source_stats_t *stats)
{
    return s_load_pct(run, width, 0, from_ns, to_ns, stats);
}

static void s_same_series(pb_series_t a, pb_series_t b)
{
    ck_assert_uint_eq(a.fine_n, b.fine_n);
    for (size_t i = 0; i < a.fine_n; i++) {
        ck_assert_uint_eq(a.fine_count[i], b.fine_count[i]);
        if (a.fine_count[i] == 0)
            continue;
        ck_assert_double_eq(a.fine_min[i], b.fine_min[i]);
        ck_assert_double_eq(a.fine_max[i], b.fine_max[i]);
        ck_assert_double_eq_tol(a.fine_mean[i], b.fine_mean[i],
                                1e-12 * fabs(a.fine_mean[i]) + 1e-12);
    }
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_uint_eq(a.width_s, b.width_s);
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_uint_eq(a.ts[i], b.ts[i]);
        ck_assert_uint_eq(a.count[i], b.count[i]);
        if (a.count[i] == 0)
            continue;
        ck_assert_double_eq(a.min[i], b.min[i]);
        ck_assert_double_eq(a.max[i], b.max[i]);
        /* the same sums, added up in another grouping when a bucket spans two segments */
        ck_assert_double_eq_tol(a.sum[i], b.sum[i], 1e-12 * fabs(a.sum[i]) + 1e-9);
    }
}

/* Every series, process and summary of two bucketed models agree. */
static void s_same_model(const pb_model_t *a, const pb_model_t *b)
{
    ck_assert_uint_eq(pb_model_host_count(a), pb_model_host_count(b));
    for (size_t h = 0; h < pb_model_host_count(a); h++) {
        for (size_t m = 0; m < pb_model_metric_count(); m++)
            s_same_series(pb_model_sys(a, h, m), pb_model_sys(b, h, m));
        ck_assert_uint_eq(pb_model_proc_count(a, h), pb_model_proc_count(b, h));
        pb_model_proc_t pa, pb;
        for (size_t r = 0; pb_model_proc(a, h, PB_ORDER_CPU, r, &pa) == 0; r++) {
            ck_assert_int_eq(pb_model_proc(b, h, PB_ORDER_CPU, r, &pb), 0);
            ck_assert_uint_eq(pa.pid, pb.pid);
            ck_assert_str_eq(pa.comm, pb.comm);
            ck_assert_uint_eq(pa.samples, pb.samples);
            ck_assert_double_eq(pa.cpu_max, pb.cpu_max);
            ck_assert_double_eq(pa.rss_max, pb.rss_max);
            ck_assert_double_eq_tol(pa.cpu_mean, pb.cpu_mean, 1e-9);
            s_same_series(pa.cpu, pb.cpu);
            s_same_series(pa.rss, pb.rss);
        }
    }
    pb_model_info_t ia, ib;
    pb_model_info(a, &ia);
    pb_model_info(b, &ib);
    ck_assert_uint_eq(ia.frames, ib.frames);
    ck_assert_uint_eq(ia.first_ns, ib.first_ns);
    ck_assert_uint_eq(ia.last_ns, ib.last_ns);
    ck_assert_double_eq(ia.interval_s, ib.interval_s);
}

/* A copy of run at name in s_tmp, its path into out. */
static void s_copy(const char *run, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", s_tmp, name);
    s_sh("cp -r '%s' '%s'", run, out);
}

/* A copy of run without its rollups ("bare": every segment read record by record). */
static void s_bare(const char *run, char *out, size_t size)
{
    s_copy(run, "bare", out, size);
    s_sh("rm '%s'/*.pbr%s", out, "");
}

START_TEST(the_bucket_width_follows_the_window)
{
    ck_assert_uint_eq(pb_rollread_width(3600), 0);
    ck_assert_uint_eq(pb_rollread_width(PB_ROLLREAD_FINE_AFTER_S), 0);
    ck_assert_uint_eq(pb_rollread_width(PB_ROLLREAD_FINE_AFTER_S + 1), PB_ROLLUP_FINE_S);
    ck_assert_uint_eq(pb_rollread_width(86400), PB_ROLLUP_FINE_S);
    ck_assert_uint_eq(pb_rollread_width(PB_ROLLREAD_COARSE_AFTER_S), PB_ROLLUP_FINE_S);
    ck_assert_uint_eq(pb_rollread_width(30 * 86400), PB_ROLLUP_COARSE_S);
}
END_TEST

START_TEST(rollups_give_what_the_records_give)
{
    char run[512], bare[512];
    pb_source_stats_t st, sr;
    s_write(2, 0, run, sizeof run);
    s_bare(run, bare, sizeof bare);
    for (uint64_t width = PB_ROLLUP_FINE_S; width; width = width == 60 ? PB_ROLLUP_COARSE_S : 0) {
        pb_model_t *rolled = s_load(run, width, 0, UINT64_MAX, &st);
        pb_model_t *raw = s_load(bare, width, 0, UINT64_MAX, &sr);
        ck_assert_uint_eq(st.rolled_segments, HOURS);
        ck_assert_uint_eq(st.records, 0);
        ck_assert_uint_eq(sr.rolled_segments, 0);
        ck_assert_uint_gt(sr.records, 0);
        ck_assert_uint_eq(pb_model_bucket_s(rolled), width);
        s_same_model(rolled, raw);
        pb_model_destroy(&rolled);
        pb_model_destroy(&raw);
    }
}
END_TEST

static void s_flip(const char *path, long at)
{
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char c;
    ck_assert_int_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x40;
    ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

/* Segment 1 a format-1 .pbl, 2 sealed with rollups, 3 sealed with a damaged
 * .pbr, 4 the open .pbl; minutes span the segments (the run starts at :30). */
START_TEST(a_mixed_run_gives_what_its_records_give)
{
    char v2[512], v1[512], mixed[512], bare[512], path[600];
    pb_source_stats_t sm, sb;
    s_write(2, 30, v2, sizeof v2);
    s_write(1, 30, v1, sizeof v1);
    s_copy(v2, "mixed", mixed, sizeof mixed);
    s_sh("rm '%s'/segment-000001.pbz '%s'/segment-000001.pbr", mixed, mixed);
    s_sh("rm '%s'/segment-000004.pbz '%s'/segment-000004.pbr", mixed, mixed);
    snprintf(path, sizeof path, "%s/segment-000001.pbl", v1);
    s_sh("cp '%s' '%s'", path, mixed);
    snprintf(path, sizeof path, "%s/segment-000004.pbl", v1);
    s_sh("cp '%s' '%s'", path, mixed);
    snprintf(path, sizeof path, "%s/segment-000003.pbr", mixed);
    s_flip(path, 200);
    s_bare(mixed, bare, sizeof bare);
    pb_model_t *m = s_load(mixed, PB_ROLLUP_FINE_S, 0, UINT64_MAX, &sm);
    pb_model_t *b = s_load(bare, PB_ROLLUP_FINE_S, 0, UINT64_MAX, &sb);
    ck_assert_uint_eq(sm.rolled_segments, 1);
    ck_assert_uint_eq(sb.rolled_segments, 0);
    s_same_model(m, b);
    pb_model_info_t info;
    pb_model_info(m, &info);
    ck_assert_uint_eq(info.first_ns, S_T0 * S_NS); /* the minute of the first sample */
    pb_model_destroy(&m);
    pb_model_destroy(&b);
}
END_TEST

/* 00:30 to 03:30 of a 4 h run: segments 2 and 3 rolled whole, 1 and 4 cut: their
 * minutes inside the window from rollups, the rest of them read record by record. */
START_TEST(the_edges_of_a_window_come_from_rollups_and_records)
{
    char run[512], bare[512];
    pb_source_stats_t st, sr;
    s_write(2, 0, run, sizeof run);
    s_bare(run, bare, sizeof bare);
    uint64_t from = (S_T0 + 1800) * S_NS, to = (S_T0 + 12600) * S_NS;
    pb_model_t *rolled = s_load(run, PB_ROLLUP_FINE_S, from, to, &st);
    pb_model_t *raw = s_load(bare, PB_ROLLUP_FINE_S, from, to, &sr);
    ck_assert_uint_eq(st.rolled_segments, 2);
    ck_assert_uint_eq(st.partial_segments, 2);
    /* of the cut segments' 2 x 30 minutes inside the window, the rollups gave all but the
     * edges' buckets: at 1 Hz, a sample (its sys and 3 proc frames) on each edge */
    ck_assert_uint_lt(st.records, sr.records / 100);
    s_same_model(rolled, raw);
    pb_model_info_t info;
    pb_model_info(rolled, &info);
    ck_assert_uint_eq(info.first_ns, from);
    ck_assert_uint_eq(info.last_ns, to + 60 * S_NS); /* the end of the last minute */
    pb_model_destroy(&rolled);
    pb_model_destroy(&raw);
}
END_TEST

/* Windows whose edges cut a minute, in 1 min and in 1 h buckets (with their percentile
 * minutes), give what the records give. */
START_TEST(edges_inside_a_minute_give_what_the_records_give)
{
    char run[512], bare[512];
    pb_source_stats_t st, sr;
    s_write(2, 0, run, sizeof run);
    s_bare(run, bare, sizeof bare);
    static const uint64_t edges[][2] = {{1830, 12615}, {0, 9000 + 7}, {4000 + 59, 4 * 3600}};
    for (size_t e = 0; e < sizeof edges / sizeof *edges; e++)
        for (int coarse = 0; coarse < 2; coarse++) {
            uint64_t from = (S_T0 + edges[e][0]) * S_NS + 250000000u;
            uint64_t to = (S_T0 + edges[e][1]) * S_NS + 500000000u;
            uint64_t w = coarse ? PB_ROLLUP_COARSE_S : PB_ROLLUP_FINE_S;
            uint64_t pct = coarse ? PB_ROLLUP_FINE_S : 0;
            pb_model_t *rolled = s_load_pct(run, w, pct, from, to, &st);
            pb_model_t *raw = s_load_pct(bare, w, pct, from, to, &sr);
            ck_assert_uint_ge(st.partial_segments, 1);
            ck_assert_uint_lt(st.records, sr.records);
            s_same_model(rolled, raw);
            pb_model_destroy(&rolled);
            pb_model_destroy(&raw);
        }
}
END_TEST

/* ---- what rolled segments held besides numbers ---- */

typedef struct {
    pb_run_writer_t *w;
    uint64_t quiet_from_ns, quiet_to_ns; /* the host is silent then: no frame is written */
} s_gappy_t;

static int s_append_gappy(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    s_gappy_t *g = arg;
    char *buf;
    size_t len;
    if (ts >= g->quiet_from_ns && ts < g->quiet_to_ns)
        return 0;
    ck_assert_int_eq(pb_codec_encode(frame, &buf, &len), 0);
    ck_assert_int_eq(pb_run_writer_append(g->w, ts, "synth", topic, strlen(topic), buf, len), 0);
    free(buf);
    return 0;
}

/* A HOURS-long run of hourly segments with lost frames, profiles (at 02:00) and a silence of
 * 30 s at 01:23:20 (a down period), into dir. */
static void s_write_eventful(char *dir, size_t size)
{
    pb_synth_opts_t o;
    char store[128];
    pb_synth_defaults(&o);
    o.start_ns = S_T0 * S_NS;
    o.samples = HOURS * 3600;
    o.lose_every = 1000;
    o.profiles = 1;
    snprintf(store, sizeof store, "%s/eventful", s_tmp);
    s_gappy_t g = {pb_run_writer_new(store, NULL, 0), (S_T0 + 5000) * S_NS, (S_T0 + 5030) * S_NS};
    ck_assert_ptr_nonnull(g.w);
    pb_run_writer_set_seal(g.w, 3600, 1);
    ck_assert_int_eq(pb_synth_generate(&o, s_append_gappy, &g), 0);
    snprintf(dir, size, "%s", pb_run_writer_dir(g.w));
    pb_run_writer_destroy(&g.w);
}

/* Both models saw the one down period of host "synth" alike. */
static void s_same_outage(const pb_model_t *a, const pb_model_t *b)
{
    pb_outage_host_t oa, ob;
    ck_assert(pb_outage_host(pb_model_outage(a), "synth", &oa));
    ck_assert(pb_outage_host(pb_model_outage(b), "synth", &ob));
    ck_assert_uint_eq(ob.count, 1);
    ck_assert_uint_eq(oa.count, ob.count);
    pb_outage_period_t pa, pbb;
    ck_assert_int_eq(pb_outage_period(pb_model_outage(a), "synth", 0, &pa), 0);
    ck_assert_int_eq(pb_outage_period(pb_model_outage(b), "synth", 0, &pbb), 0);
    ck_assert_uint_eq(pa.from_ns, pbb.from_ns);
    ck_assert_uint_eq(pa.to_ns, pbb.to_ns);
}

static void s_same_events(const pb_model_t *a, const pb_model_t *b)
{
    pb_model_info_t ia, ib;
    pb_model_info(a, &ia);
    pb_model_info(b, &ib);
    ck_assert_uint_gt(ib.lost, 10);
    ck_assert_uint_eq(ia.lost, ib.lost);
    ck_assert_ptr_nonnull(ia.version);
    ck_assert_str_eq(ia.version, ib.version);
    ck_assert_double_eq(ia.interval_s, ib.interval_s);
    ck_assert_uint_eq(pb_model_profile_count(a), pb_model_profile_count(b));
    ck_assert_uint_gt(pb_model_profile_count(b), 0);
    pb_outage_host_t oa, ob;
    ck_assert(pb_outage_host(pb_model_outage(a), "synth", &oa));
    ck_assert(pb_outage_host(pb_model_outage(b), "synth", &ob));
    ck_assert_uint_eq(oa.heartbeat_ns, ob.heartbeat_ns);
    s_same_outage(a, b);
}

START_TEST(lost_frames_down_periods_and_profiles_survive_the_rollups)
{
    char run[512], bare[512];
    pb_source_stats_t st, sr;
    s_write_eventful(run, sizeof run);
    s_bare(run, bare, sizeof bare);
    for (uint64_t width = PB_ROLLUP_FINE_S; width; width = width == 60 ? PB_ROLLUP_COARSE_S : 0) {
        pb_model_t *rolled = s_load(run, width, 0, UINT64_MAX, &st);
        pb_model_t *raw = s_load(bare, width, 0, UINT64_MAX, &sr);
        ck_assert_uint_eq(st.rolled_segments, HOURS);
        ck_assert_uint_eq(st.records, 0);
        s_same_events(rolled, raw);
        pb_model_destroy(&rolled);
        pb_model_destroy(&raw);
    }
}
END_TEST

/* The silence at 01:23:20 inside the rolled part of segment 2 when the window's start cuts
 * it (from 01:06:40: the records of its first minute read, the rest rolled) and when its
 * end does (to 01:48:20): the down period is seen as reading every record sees it. */
START_TEST(a_silence_inside_a_cut_segment_is_seen)
{
    char run[512], bare[512];
    pb_source_stats_t st, sr;
    s_write_eventful(run, sizeof run);
    s_bare(run, bare, sizeof bare);
    static const uint64_t windows[][2] = {{4000, 4 * 3600}, {0, 6500}};
    for (size_t w = 0; w < 2; w++) {
        uint64_t from = (S_T0 + windows[w][0]) * S_NS + 300000000u;
        uint64_t to = (S_T0 + windows[w][1]) * S_NS + 300000000u;
        pb_model_t *rolled = s_load(run, PB_ROLLUP_FINE_S, from, to, &st);
        pb_model_t *raw = s_load(bare, PB_ROLLUP_FINE_S, from, to, &sr);
        ck_assert_uint_ge(st.partial_segments, 1); /* segment 2, and 4 for the first */
        ck_assert_uint_lt(st.records, sr.records / 10);
        s_same_outage(rolled, raw);
        s_same_model(rolled, raw);
        pb_model_destroy(&rolled);
        pb_model_destroy(&raw);
    }
}
END_TEST

/* A segment whose marks are damaged is still taken from its rollups (its numbers check);
 * only what the marks held is missing (a warning says so). */
START_TEST(damaged_marks_leave_the_numbers)
{
    char run[512], bare[512], pbr[600];
    pb_source_stats_t st, sr;
    s_write_eventful(run, sizeof run);
    s_bare(run, bare, sizeof bare);
    snprintf(pbr, sizeof pbr, "%s/segment-000002.pbr", run);
    s_flip(pbr, pb_test_rollup_section_at(pbr, PB_ROLLUP_SEC_MARKS) + 3);
    pb_model_t *rolled = s_load(run, PB_ROLLUP_FINE_S, 0, UINT64_MAX, &st);
    pb_model_t *raw = s_load(bare, PB_ROLLUP_FINE_S, 0, UINT64_MAX, &sr);
    ck_assert_uint_eq(st.rolled_segments, HOURS);
    s_same_model(rolled, raw);
    pb_model_info_t ia, ib;
    pb_model_info(rolled, &ia);
    pb_model_info(raw, &ib);
    ck_assert_uint_lt(ia.lost, ib.lost); /* segment 2's seq gaps are not known */
    pb_model_destroy(&rolled);
    pb_model_destroy(&raw);
}
END_TEST

/* The summaries of the rolled model against pb_summary over every sample. */
START_TEST(long_summaries_agree_with_exact_ones)
{
    char run[512];
    pb_source_stats_t st;
    s_write(2, 0, run, sizeof run);
    setenv("PERFBUS_REPORT_RESOLUTION", "raw", 1);
    pb_model_t *exact = s_load(run, 0, 0, UINT64_MAX, &st);
    unsetenv("PERFBUS_REPORT_RESOLUTION");
    ck_assert_uint_eq(pb_model_bucket_s(exact), 0);
    pb_model_t *rolled = s_load(run, 0, 0, UINT64_MAX, &st); /* 4 h: auto is 1 min */
    ck_assert_uint_eq(pb_model_bucket_s(rolled), PB_ROLLUP_FINE_S);
    for (size_t m = 0; m < pb_model_metric_count(); m++) {
        pb_summary_t want, got;
        pb_bucket_summary_t b;
        pb_series_t s = pb_model_sys(rolled, 0, m);
        int rc = pb_table_stats(pb_model_sys(exact, 0, m), &want);
        ck_assert_int_eq(pb_table_stats(s, &got), rc);
        if (rc == -ENODATA)
            continue;
        ck_assert_int_eq(pb_bucket_summarise(s.v, s.min, s.max, s.sum, s.count, s.n, &b), 0);
        ck_assert_uint_eq(got.count, want.count);
        ck_assert_double_eq(got.min, want.min);
        ck_assert_double_eq(got.max, want.max);
        ck_assert_double_eq_tol(got.mean, want.mean, 1e-9 * fabs(want.mean) + 1e-9);
        double p[3] = {want.p50, want.p95, want.p99};
        for (size_t i = 0; i < 3; i++)
            ck_assert_msg(b.lo[i] <= p[i] && p[i] <= b.hi[i], "%s p%zu", pb_model_metric(m)->key,
                          i);
    }
    pb_model_destroy(&exact);
    pb_model_destroy(&rolled);
}
END_TEST

/* Drawn from 1 h buckets, percentiles from the 1 min ones: the same by both paths, and
 * within the brackets of (and near) the exact ones. */
START_TEST(hour_buckets_take_percentiles_from_minutes)
{
    char run[512], mixed[512];
    pb_source_stats_t st, sm;
    s_write(2, 30, run, sizeof run);
    s_copy(run, "mixed", mixed, sizeof mixed);
    s_sh("rm '%s'/segment-000002.pbr%s", mixed, "");
    uint64_t h = PB_ROLLUP_COARSE_S, m = PB_ROLLUP_FINE_S;
    pb_model_t *rolled = s_load_pct(run, h, m, 0, UINT64_MAX, &st);
    pb_model_t *part = s_load_pct(mixed, h, m, 0, UINT64_MAX, &sm);
    ck_assert_uint_eq(pb_model_pct_bucket_s(rolled), m);
    ck_assert_uint_eq(st.rolled_segments, HOURS);
    ck_assert_uint_eq(sm.rolled_segments, HOURS - 1);
    s_same_model(rolled, part);
    setenv("PERFBUS_REPORT_RESOLUTION", "raw", 1);
    pb_model_t *exact = s_load(run, 0, 0, UINT64_MAX, &st);
    unsetenv("PERFBUS_REPORT_RESOLUTION");
    size_t user = 0;
    while (strcmp(pb_model_metric(user)->key, "cpu.total.user_pct") != 0)
        user++;
    pb_series_t s = pb_model_sys(rolled, 0, user);
    ck_assert_uint_eq(s.n, HOURS + 1);
    ck_assert_uint_eq(s.fine_n, HOURS * 60 + 1);
    pb_bucket_summary_t b;
    pb_summary_t want;
    ck_assert_int_eq(pb_table_bucket_stats(s, &b), 0);
    ck_assert_int_eq(pb_table_stats(pb_model_sys(exact, 0, user), &want), 0);
    ck_assert_uint_eq(b.count, want.count);
    double p[3] = {want.p50, want.p95, want.p99};
    for (size_t i = 0; i < 3; i++) {
        ck_assert(b.lo[i] <= p[i] && p[i] <= b.hi[i]);
        ck_assert_double_le(fabs(b.p[i] - p[i]), 0.5); /* hour means alone: several points off */
    }
    pb_model_destroy(&rolled);
    pb_model_destroy(&part);
    pb_model_destroy(&exact);
}
END_TEST

START_TEST(a_bad_resolution_is_ignored_and_raw_is_raw)
{
    char run[512];
    pb_source_stats_t st;
    s_write(2, 0, run, sizeof run);
    setenv("PERFBUS_REPORT_RESOLUTION", "fast", 1);
    pb_model_t *m = s_load(run, 0, 0, UINT64_MAX, &st);
    ck_assert_uint_eq(pb_model_bucket_s(m), PB_ROLLUP_FINE_S);
    pb_model_destroy(&m);
    setenv("PERFBUS_REPORT_RESOLUTION", "3600", 1);
    m = s_load(run, 0, 0, UINT64_MAX, &st);
    ck_assert_uint_eq(pb_model_bucket_s(m), PB_ROLLUP_COARSE_S);
    ck_assert_uint_eq(pb_model_pct_bucket_s(m), PB_ROLLUP_FINE_S); /* 4 host-hours: kept */
    ck_assert_uint_eq(pb_model_sys_count(m, 0), HOURS);
    pb_model_destroy(&m);
    unsetenv("PERFBUS_REPORT_RESOLUTION");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_rollread");
    TCase *tc = tcase_create("rollread");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_bucket_width_follows_the_window);
    tcase_add_test(tc, rollups_give_what_the_records_give);
    tcase_add_test(tc, a_mixed_run_gives_what_its_records_give);
    tcase_add_test(tc, the_edges_of_a_window_come_from_rollups_and_records);
    tcase_add_test(tc, edges_inside_a_minute_give_what_the_records_give);
    tcase_add_test(tc, lost_frames_down_periods_and_profiles_survive_the_rollups);
    tcase_add_test(tc, a_silence_inside_a_cut_segment_is_seen);
    tcase_add_test(tc, damaged_marks_leave_the_numbers);
    tcase_add_test(tc, long_summaries_agree_with_exact_ones);
    tcase_add_test(tc, hour_buckets_take_percentiles_from_minutes);
    tcase_add_test(tc, a_bad_resolution_is_ignored_and_raw_is_raw);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
