/* Tests of pb_report: format lists, durations, times, the reportability check, atomic output. */
#include "pb_report.h"

#include "pb_synth.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pb_model_t *s_model(size_t samples, size_t procs)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = samples;
    opts.procs = procs;
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    return model;
}

START_TEST(format_lists)
{
    unsigned formats;
    char err[128];
    ck_assert_int_eq(pb_report_parse_formats("pdf,html", &formats, err, sizeof(err)), 0);
    ck_assert_uint_eq(formats, PB_FORMAT_PDF | PB_FORMAT_HTML);
    ck_assert_int_eq(pb_report_parse_formats("csv,json,pdf", &formats, err, sizeof(err)), 0);
    ck_assert_uint_eq(formats, PB_FORMAT_CSV | PB_FORMAT_JSON | PB_FORMAT_PDF);
    ck_assert_int_eq(pb_report_parse_formats("pdf,docx", &formats, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'docx'"));
    ck_assert_int_eq(pb_report_parse_formats("pdf,", &formats, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(pb_report_extension(PB_FORMAT_HTML), "html");
    ck_assert_ptr_null(pb_report_extension(64));
}
END_TEST

START_TEST(durations)
{
    uint64_t secs;
    ck_assert_int_eq(pb_report_parse_duration("1h", &secs), 0);
    ck_assert_uint_eq(secs, 3600);
    ck_assert_int_eq(pb_report_parse_duration("90", &secs), 0);
    ck_assert_uint_eq(secs, 90);
    ck_assert_int_eq(pb_report_parse_duration("2d", &secs), 0);
    ck_assert_uint_eq(secs, 172800);
    ck_assert_int_eq(pb_report_parse_duration("15m", &secs), 0);
    ck_assert_uint_eq(secs, 900);
    ck_assert_int_eq(pb_report_parse_duration("0", &secs), -EINVAL);
    ck_assert_int_eq(pb_report_parse_duration("-1h", &secs), -EINVAL);
    ck_assert_int_eq(pb_report_parse_duration("1w", &secs), 0); /* pb_units' forms */
    ck_assert_uint_eq(secs, 604800);
    ck_assert_int_eq(pb_report_parse_duration("1h30m", &secs), 0);
    ck_assert_uint_eq(secs, 5400);
    ck_assert_int_eq(pb_report_parse_duration("", &secs), -EINVAL);
}
END_TEST

START_TEST(times)
{
    const uint64_t jan1 = 1767225600ULL * 1000000000ULL;
    uint64_t ns;
    ck_assert_int_eq(pb_report_parse_time("2026-01-01T00:00:00Z", 0, &ns), 0);
    ck_assert_uint_eq(ns, jan1);
    ck_assert_int_eq(pb_report_parse_time("2026-01-01 01:00", 0, &ns), 0);
    ck_assert_uint_eq(ns, jan1 + 3600000000000ULL);
    ck_assert_int_eq(pb_report_parse_time("2026-01-01", 0, &ns), 0);
    ck_assert_uint_eq(ns, jan1);
    ck_assert_int_eq(pb_report_parse_time("@1767225600", 0, &ns), 0);
    ck_assert_uint_eq(ns, jan1);
    ck_assert_int_eq(pb_report_parse_time("now-1h", jan1, &ns), 0);
    ck_assert_uint_eq(ns, jan1 - 3600000000000ULL);
    ck_assert_int_eq(pb_report_parse_time("now", jan1, &ns), 0);
    ck_assert_uint_eq(ns, jan1);
    ck_assert_int_eq(pb_report_parse_time("yesterday", 0, &ns), -EINVAL);
    ck_assert_int_eq(pb_report_parse_time("2026-13-01", 0, &ns), -EINVAL);
    ck_assert_int_eq(pb_report_parse_time("@12x", 0, &ns), -EINVAL);
    ck_assert_int_eq(pb_report_parse_time("now-1h", 5, &ns), -EINVAL);
}
END_TEST

START_TEST(a_report_needs_two_samples)
{
    char err[256];
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_report_check(model, "run X", err, sizeof(err)), -ENODATA);
    ck_assert_str_eq(err, "run X holds no frames: nothing to report");
    pb_model_destroy(&model);
    model = s_model(1, 0);
    ck_assert_int_eq(pb_report_check(model, "run Y", err, sizeof(err)), -ENODATA);
    ck_assert_ptr_nonnull(strstr(err, "at least 2 samples"));
    pb_model_destroy(&model);
    model = s_model(2, 0);
    ck_assert_int_eq(pb_report_check(model, "run Z", err, sizeof(err)), 0);
    pb_model_destroy(&model);
    pb_synth_opts_t opts; /* one sample, but profiles: worth a report */
    pb_synth_defaults(&opts);
    opts.samples = 1;
    opts.profiles = 1;
    model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    ck_assert_int_eq(pb_report_check(model, "run P", err, sizeof(err)), 0);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(render_is_atomic)
{
    char dir[] = "/tmp/pb_report_XXXXXX", path[128], err[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.csv", dir);
    pb_model_t *model = s_model(5, 1);
    ck_assert_int_eq(pb_report_render(model, "t", PB_FORMAT_CSV, path, NULL, err, sizeof(err)), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_gt(st.st_size, 100);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    snprintf(path, sizeof(path), "%s/missing/r.pdf", dir);
    ck_assert_int_eq(pb_report_render(model, "t", PB_FORMAT_PDF, path, NULL, err, sizeof(err)),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/r.csv", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0); /* no temporary file was left behind */
    pb_model_destroy(&model);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, format_lists);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, times);
    tcase_add_test(tc, a_report_needs_two_samples);
    tcase_add_test(tc, render_is_atomic);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
