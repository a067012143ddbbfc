/* Tests of pb_export: CSV rows and units, JSON summaries and series. */
#include "pb_export.h"

#include "pb_synth.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static size_t s_count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

START_TEST(csv_has_one_row_per_sample_and_units)
{
    pb_model_t *model = s_model(10, 9);
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(pb_export_csv(out, model, err, sizeof(err)), 0);
    fclose(out);
    ck_assert_uint_eq(s_count(buf, "\r\n"), 1 + 10 + 9 * 10);
    ck_assert_ptr_nonnull(strstr(buf, "cpu.total.user_pct [%]"));
    ck_assert_ptr_nonnull(strstr(buf, "mem.used_bytes [bytes]"));
    ck_assert_ptr_nonnull(strstr(buf, "disk.total.read_bytes_per_s [bytes/s]"));
    ck_assert_ptr_nonnull(
        strstr(buf, "\r\n2026-01-01T00:00:00.000Z,1767225600000000000,\"synth\",sys,,,"));
    ck_assert_ptr_nonnull(strstr(buf, ",proc,1008,\"<script>x</script>\","));
    ck_assert_ptr_nonnull(strstr(buf, ",proc,1002,\"naïve-wörker\","));
    free(buf);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(json_holds_summaries_and_series)
{
    pb_model_t *model = s_model(4, 1);
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(pb_export_json(out, model, "run \"x\"", err, sizeof(err)), 0);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "\"source\": \"run \\\"x\\\"\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"frames\": 12"));
    ck_assert_ptr_nonnull(strstr(buf, "\"cpu.total.user_pct\": {\"count\":3,"));
    ck_assert_ptr_nonnull(strstr(buf, "\"cpu.total.steal_pct\": [null,0,0,0]"));
    ck_assert_ptr_nonnull(strstr(buf, "\"pid\": 1000, \"comm\": \"postgres\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"cpu_pct\": [null,1,1,1]"));
    ck_assert_str_eq(buf + len - 3, "]}\n");
    ck_assert_ptr_nonnull(strstr(buf, "\"profiles\": []}"));
    free(buf);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(an_empty_model_exports_a_header_and_no_hosts)
{
    pb_model_t *model = pb_model_new();
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(pb_export_json(out, model, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(pb_export_csv(out, model, err, sizeof(err)), 0);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "\"hosts\": [],\n  \"profiles\": []}"));
    ck_assert_uint_eq(s_count(buf, "\r\n"), 1);
    free(buf);
    pb_model_destroy(&model);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_export");
    TCase *tc = tcase_create("export");
    tcase_add_test(tc, csv_has_one_row_per_sample_and_units);
    tcase_add_test(tc, json_holds_summaries_and_series);
    tcase_add_test(tc, an_empty_model_exports_a_header_and_no_hosts);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
