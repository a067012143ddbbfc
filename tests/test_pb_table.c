/* Tests of pb_table: the cover, summary and process rows every renderer prints. */
#include "pb_table.h"

#include "pb_synth.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static pb_model_t *s_model(void)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 101;
    opts.spike_at = 50;
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    return model;
}

static size_t s_metric(const char *key)
{
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        if (strcmp(pb_model_metric(m)->key, key) == 0)
            return m;
    return SIZE_MAX;
}

START_TEST(cover_lists_the_run_facts)
{
    pb_model_t *model = s_model();
    pb_table_row_t rows[12];
    size_t n = pb_table_cover(model, "run R", rows, 12);
    ck_assert_uint_eq(n, 9);
    ck_assert_str_eq(rows[0].cell[1], "run R");
    ck_assert_str_eq(rows[1].cell[1], "synth");
    ck_assert_str_eq(rows[2].cell[1], "2026-01-01 00:00:00 UTC");
    ck_assert_str_eq(rows[4].cell[1], "0h 01m 40s (100 s)");
    ck_assert_str_eq(rows[6].cell[1], "1 s");
    ck_assert_str_eq(rows[7].cell[1], "505");
    ck_assert_str_eq(rows[8].cell[0], "Lost frames");
    ck_assert_uint_eq(pb_table_cover(model, NULL, rows, 3), 3);
    ck_assert_str_eq(pb_table_cover_header()->cell[1], "Value");
    pb_model_destroy(&model);
}
END_TEST

START_TEST(summary_rows_use_the_shared_statistics)
{
    pb_model_t *model = s_model();
    pb_table_row_t row;
    ck_assert_int_eq(pb_table_summary(model, 0, s_metric("cpu.total.user_pct"), &row), 0);
    ck_assert_uint_eq(row.ncols, 8);
    ck_assert_str_eq(row.cell[0], "CPU user");
    ck_assert_str_eq(row.cell[1], "100"); /* the first sample has no rate */
    ck_assert_str_eq(row.cell[3], "97.00 %");
    ck_assert_int_eq(pb_table_summary(model, 0, s_metric("mem.cached_bytes"), &row), 0);
    ck_assert_str_eq(row.cell[2], "1.50 GiB");
    ck_assert_int_eq(pb_table_summary(model, 3, 0, &row), -ENODATA);
    ck_assert_int_eq(pb_table_summary(model, 0, 999, &row), -ENODATA);
    ck_assert_str_eq(pb_table_summary_header()->cell[7], "p99");
    pb_model_destroy(&model);
}
END_TEST

START_TEST(process_rows_rank_by_cpu)
{
    pb_model_t *model = s_model();
    pb_table_row_t row;
    ck_assert_int_eq(pb_table_proc(model, 0, 0, &row), 0);
    ck_assert_str_eq(row.cell[0], "1002");
    ck_assert_str_eq(row.cell[1], "naïve-wörker");
    ck_assert_str_eq(row.cell[2], "3.00");
    ck_assert_str_eq(row.cell[4], "3.00 MiB");
    ck_assert_str_eq(row.cell[5], "101");
    ck_assert_int_eq(pb_table_proc(model, 0, 3, &row), -ENOENT);
    pb_model_destroy(&model);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_table");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, cover_lists_the_run_facts);
    tcase_add_test(tc, summary_rows_use_the_shared_statistics);
    tcase_add_test(tc, process_rows_rank_by_cpu);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
