/* Tests of pb_model: folding synthetic frames into per-host series and process rankings. */
#include "pb_model.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_synth.h"
#include "pb_view.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Adds a tree as a run's record would reach the model: encoded. */
static int s_put(pb_model_t *model, const pb_value_t *frame, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(frame, &buf, &len), 0);
    int rc = pb_model_add(model, buf, len, NULL, err, errlen);
    free(buf);
    return rc;
}

static int s_add(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    char err[128];
    (void)topic;
    (void)ts;
    return s_put(arg, frame, err, sizeof(err));
}

static pb_model_t *s_model(const pb_synth_opts_t *opts)
{
    pb_model_t *model = pb_model_new();
    ck_assert_ptr_nonnull(model);
    ck_assert_int_eq(pb_synth_generate(opts, s_add, model), 0);
    return model;
}

static size_t s_metric(const char *key)
{
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        if (strcmp(pb_model_metric(m)->key, key) == 0)
            return m;
    ck_abort_msg("no metric %s", key);
    return 0;
}

START_TEST(info_counts_frames_loss_interval_and_version)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.lose_every = 10;
    pb_model_t *model = s_model(&opts);
    pb_model_info_t info;
    pb_model_info(model, &info);
    ck_assert_uint_eq(info.frames, 60 * 5);
    ck_assert_uint_eq(info.lost, 300 / 10 - 1); /* the skip after the last frame is unseen */
    ck_assert_uint_eq(info.first_ns, opts.start_ns);
    ck_assert_uint_eq(info.last_ns, opts.start_ns + 59000000000ULL);
    ck_assert_double_eq(info.interval_s, 1.0);
    ck_assert_str_eq(info.version, PB_VERSION);
    ck_assert_uint_eq(pb_model_host_count(model), 1);
    ck_assert_str_eq(pb_model_host(model, 0), "synth");
    ck_assert_ptr_null(pb_model_host(model, 1));
    pb_model_destroy(&model);
    pb_model_destroy(&model);
    ck_assert_ptr_null(model);
}
END_TEST

/* Adds every synthetic frame through a --pid 1000 filter. */
static int s_add_pid_filtered(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    static const uint64_t pid = 1000;
    pb_model_filter_t filter = {NULL, &pid, 1};
    char *buf = NULL, err[128];
    size_t len = 0;
    (void)topic;
    (void)ts;
    ck_assert_int_eq(pb_codec_encode(frame, &buf, &len), 0);
    int rc = pb_model_add(arg, buf, len, &filter, err, sizeof err);
    free(buf);
    return rc;
}

START_TEST(a_pid_filter_does_not_count_what_it_leaves_out_as_lost)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts); /* no loss: sys and 3 processes' frames, seq without gaps */
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_generate(&opts, s_add_pid_filtered, model), 0);
    pb_model_info_t info;
    pb_model_info(model, &info);
    ck_assert_uint_eq(info.lost, 0);
    pb_model_destroy(&model);
    opts.lose_every = 10; /* and real gaps are still counted through the filter */
    model = pb_model_new();
    ck_assert_int_eq(pb_synth_generate(&opts, s_add_pid_filtered, model), 0);
    pb_model_info(model, &info);
    ck_assert_uint_eq(info.lost, 300 / 10 - 1);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(sys_series_share_one_axis_with_nan_for_absent_rates)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.spike_at = 30;
    pb_model_t *model = s_model(&opts);
    pb_series_t user = pb_model_sys(model, 0, s_metric("cpu.total.user_pct"));
    pb_series_t used = pb_model_sys(model, 0, s_metric("mem.used_bytes"));
    ck_assert_uint_eq(user.n, 60);
    ck_assert_uint_eq(pb_model_sys_count(model, 0), 60);
    ck_assert_ptr_eq(user.ts, used.ts);
    ck_assert(isnan(user.v[0]));
    ck_assert(isfinite(used.v[0]));
    ck_assert_double_eq(user.v[30], 97.0);
    ck_assert_uint_eq(pb_model_sys(model, 5, 0).n, 0);
    ck_assert_uint_eq(pb_model_sys(model, 0, 999).n, 0);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(processes_rank_by_cpu_and_rss)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.procs = 4;
    pb_model_t *model = s_model(&opts);
    pb_model_proc_t proc;
    ck_assert_uint_eq(pb_model_proc_count(model, 0), 4);
    ck_assert_int_eq(pb_model_proc(model, 0, PB_ORDER_CPU, 0, &proc), 0);
    ck_assert_uint_eq(proc.pid, 1003);
    ck_assert_double_eq(proc.cpu_mean, 4.0);
    ck_assert_str_eq(proc.comm, "日本語プロセス");
    ck_assert_uint_eq(proc.cpu.n, 60);
    ck_assert(isnan(proc.cpu.v[0]));
    ck_assert_int_eq(pb_model_proc(model, 0, PB_ORDER_RSS, 3, &proc), 0);
    ck_assert_uint_eq(proc.pid, 1000);
    ck_assert_double_eq(proc.rss_max, 1024.0 * 1024.0);
    ck_assert_int_eq(pb_model_proc(model, 0, PB_ORDER_CPU, 4, &proc), -ENOENT);
    ck_assert_int_eq(pb_model_proc(model, 1, PB_ORDER_CPU, 0, &proc), -ENOENT);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(bad_frames_are_refused_with_a_reason)
{
    pb_model_t *model = pb_model_new();
    char err[128] = "";
    pb_value_t *frame = pb_value_map_new();
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), -EINVAL);
    ck_assert_str_ne(err, "");
    pb_value_destroy(&frame);
    frame = pb_frame_new("proc", "h", "s", 0, 1);
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "pid"));
    pb_value_destroy(&frame);
    frame = pb_frame_new("prof-v9", "h", "s", 1, 2);
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), 0);
    pb_value_destroy(&frame);
    pb_model_info_t info;
    pb_model_info(model, &info);
    ck_assert_uint_eq(info.frames, 2);
    ck_assert_ptr_null(info.version);
    ck_assert_double_eq(info.interval_s, 0);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(odd_frames_are_read_without_harm)
{
    pb_model_t *model = pb_model_new();
    char err[128];
    pb_value_t *frame = pb_frame_new("sys", "h", "s", 0, 1);
    pb_value_map_put_str(frame, "cpu", "not a map");
    pb_value_map_put_str(frame, "interval_s", "soon");
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), 0);
    pb_value_destroy(&frame);
    frame = pb_frame_new("proc", "h", "s", 1, 2);
    pb_value_map_put_uint(frame, "pid", 7);
    pb_value_map_put_uint(frame, "comm", 42);
    pb_value_map_put_str(frame, "cpu_pct", "lots");
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), 0);
    pb_value_destroy(&frame);
    frame = pb_frame_new("prof", "h", "a", 0, 3);
    pb_value_map_put_str(frame, "sampling", "not a map");
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), 0);
    pb_value_destroy(&frame);
    frame = pb_frame_new("prof", "h", "a", 1, 4);
    pb_value_t *s = pb_value_map_new();
    pb_value_map_put_str(s, "functions", "none");
    pb_value_map_put_uint(s, "tree", 3);
    pb_value_map_put(frame, "sampling", &s);
    ck_assert_int_eq(s_put(model, frame, err, sizeof(err)), 0);
    pb_value_destroy(&frame);
    pb_model_proc_t proc;
    ck_assert_int_eq(pb_model_proc(model, 0, PB_ORDER_CPU, 0, &proc), 0);
    ck_assert_str_eq(proc.comm, "?");
    ck_assert(isnan(proc.cpu_mean));
    ck_assert(isnan(pb_model_sys(model, 0, 0).v[0]));
    ck_assert_uint_eq(pb_model_profile_count(model), 1); /* an empty sampling result */
    pb_model_destroy(&model);
}
END_TEST

START_TEST(the_metric_table_is_complete)
{
    ck_assert_uint_ge(pb_model_metric_count(), 15);
    ck_assert_ptr_null(pb_model_metric(pb_model_metric_count()));
    int groups[PB_GROUP_COUNT + 1] = {0};
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        groups[pb_model_metric(m)->group]++;
    ck_assert_int_eq(groups[PB_GROUP_CPU], 7);
    ck_assert_int_eq(groups[PB_GROUP_DISK], 2);
    ck_assert_int_eq(groups[PB_GROUP_NET], 2);
}
END_TEST

/* The table is the view REPORT_SYS, and each unit is its catalogue field's. */
START_TEST(the_metric_table_is_the_report_view_with_catalogue_units)
{
    ck_assert_uint_eq(pb_model_metric_count(), pb_view_size(PB_VIEW_REPORT_SYS));
    for (size_t m = 0; m < pb_model_metric_count(); m++) {
        const pb_metric_t *metric = pb_model_metric(m);
        pb_view_entry_t e;
        ck_assert_int_eq(pb_view_entry(PB_VIEW_REPORT_SYS, m, &e), 0);
        ck_assert_ptr_eq(metric->field, e.field);
        ck_assert_str_eq(metric->key, e.field->path);
        ck_assert_str_eq(metric->label, e.name);
        ck_assert_str_eq(metric->title, e.label);
        ck_assert_int_eq(metric->unit, pb_model_unit(e.field));
    }
    ck_assert_int_eq(pb_model_metric(s_metric("cpu.total.user_pct"))->unit, PB_UNIT_PCT);
    ck_assert_int_eq(pb_model_metric(s_metric("mem.used_bytes"))->unit, PB_UNIT_BYTES);
    ck_assert_int_eq(pb_model_metric(s_metric("net.total.rx_bytes_per_s"))->unit,
                     PB_UNIT_BYTES_PER_S);
    ck_assert_int_eq(pb_model_metric(s_metric("load.avg1"))->unit, PB_UNIT_PLAIN);
    ck_assert_int_eq(pb_model_unit(NULL), PB_UNIT_PLAIN);
    ck_assert_int_eq(pb_model_unit(pb_catalog_find(PB_FT_SYS, "ctxt_per_s")), PB_UNIT_PLAIN);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_model");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, info_counts_frames_loss_interval_and_version);
    tcase_add_test(tc, a_pid_filter_does_not_count_what_it_leaves_out_as_lost);
    tcase_add_test(tc, the_metric_table_is_the_report_view_with_catalogue_units);
    tcase_add_test(tc, sys_series_share_one_axis_with_nan_for_absent_rates);
    tcase_add_test(tc, processes_rank_by_cpu_and_rss);
    tcase_add_test(tc, bad_frames_are_refused_with_a_reason);
    tcase_add_test(tc, odd_frames_are_read_without_harm);
    tcase_add_test(tc, the_metric_table_is_complete);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
