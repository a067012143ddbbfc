/* Tests of pb_source: loading runs and store windows into a model, filters, damage, errors. */
#include "pb_source.h"

#include "pb_synth.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOUR_NS 3600000000000ULL

static char s_store[64];
static char s_run[4096];

static void s_setup(void)
{
    strcpy(s_store, "/tmp/pb_source_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_store));
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 120;
    ck_assert_int_eq(pb_synth_write(&opts, s_store, s_run, sizeof(s_run)), 0);
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_store);
    ck_assert_int_eq(system(cmd), 0);
}

static int s_load(pb_source_opts_t *opts, pb_model_t **model_p, pb_source_stats_t *stats, char *err,
                  size_t errlen)
{
    *model_p = pb_model_new();
    return pb_source_load(opts, *model_p, stats, err, errlen);
}

START_TEST(a_run_loads_whole)
{
    pb_source_opts_t opts;
    pb_source_stats_t stats;
    pb_model_t *model;
    char err[256];
    pb_source_defaults(&opts);
    opts.run = s_run;
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), 0);
    ck_assert_uint_eq(stats.runs, 1);
    ck_assert_uint_eq(stats.records, 120 * 5);
    ck_assert_uint_eq(stats.undecodable, 0);
    ck_assert_uint_eq(pb_model_sys_count(model, 0), 120);
    ck_assert_uint_eq(pb_model_proc_count(model, 0), 3);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(filters_select_host_pids_and_window)
{
    pb_source_opts_t opts;
    pb_source_stats_t stats;
    pb_model_t *model;
    pb_model_info_t info;
    char err[256];
    uint64_t pids[] = {1001};
    pb_source_defaults(&opts);
    opts.store = s_store;
    opts.pids = pids;
    opts.npids = 1;
    opts.from_ns = 1767225600ULL * 1000000000ULL + 60000000000ULL;
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), 0);
    ck_assert_uint_eq(pb_model_sys_count(model, 0), 60);
    ck_assert_uint_eq(pb_model_proc_count(model, 0), 1);
    pb_model_destroy(&model);
    opts.host = "elsewhere";
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), 0);
    pb_model_info(model, &info);
    ck_assert_uint_eq(info.frames, 0);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(a_torn_tail_is_skipped_and_counted)
{
    pb_synth_opts_t synth; /* the open segment's format: format 1, as the recorder writes it */
    pb_synth_defaults(&synth);
    synth.samples = 120;
    synth.format = 1;
    ck_assert_int_eq(pb_synth_write(&synth, s_store, s_run, sizeof(s_run)), 0);
    char seg[4200];
    snprintf(seg, sizeof(seg), "%s/segment-000001.pbl", s_run);
    struct stat st;
    ck_assert_int_eq(stat(seg, &st), 0);
    ck_assert_int_eq(truncate(seg, st.st_size - 7), 0);
    pb_source_opts_t opts;
    pb_source_stats_t stats;
    pb_model_t *model;
    char err[256];
    pb_source_defaults(&opts);
    opts.run = s_run;
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), 0);
    ck_assert_uint_eq(stats.damage.torn, 1);
    ck_assert_uint_eq(stats.records, 120 * 5 - 1);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(missing_runs_and_stores_are_named)
{
    pb_source_opts_t opts;
    pb_source_stats_t stats;
    pb_model_t *model;
    char err[256];
    pb_source_defaults(&opts);
    opts.run = "/nonexistent/run";
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "no such run directory: '/nonexistent/run'");
    pb_model_destroy(&model);
    opts.run = NULL;
    opts.store = "/nonexistent/store";
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "no such store directory: '/nonexistent/store'");
    pb_model_destroy(&model);
    opts.run = s_run;
    ck_assert_int_eq(s_load(&opts, &model, &stats, err, sizeof(err)), -EINVAL);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(describe_names_the_selection)
{
    pb_source_opts_t opts;
    char buf[256];
    pb_source_defaults(&opts);
    opts.run = "r1";
    pb_source_describe(&opts, buf, sizeof(buf));
    ck_assert_str_eq(buf, "run r1");
    opts.run = NULL;
    opts.store = "/s";
    opts.from_ns = 1767225600ULL * 1000000000ULL;
    opts.to_ns = opts.from_ns + HOUR_NS;
    pb_source_describe(&opts, buf, sizeof(buf));
    ck_assert_str_eq(buf, "store /s, 2026-01-01 00:00:00 UTC to 2026-01-01 01:00:00 UTC");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_source");
    TCase *tc = tcase_create("source");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, a_run_loads_whole);
    tcase_add_test(tc, filters_select_host_pids_and_window);
    tcase_add_test(tc, a_torn_tail_is_skipped_and_counted);
    tcase_add_test(tc, missing_runs_and_stores_are_named);
    tcase_add_test(tc, describe_names_the_selection);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
