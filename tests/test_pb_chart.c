/* Tests of pb_chart: chart geometry from a model — stacking, downsampling, ticks, units. */
#include "pb_chart.h"

#include "pb_synth.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static pb_model_t *s_model(size_t samples, size_t spike_at)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = samples;
    opts.spike_at = spike_at;
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    return model;
}

START_TEST(cpu_is_stacked_and_keeps_a_one_second_spike_of_a_day)
{
    pb_model_t *model = s_model(86400, 50000);
    pb_chart_t *chart = pb_chart_group(model, 0, PB_GROUP_CPU, PB_CHART_BUCKETS);
    ck_assert_ptr_nonnull(chart);
    ck_assert(chart->stacked);
    ck_assert(!chart->empty);
    ck_assert_uint_eq(chart->nlines, 7);
    ck_assert_str_eq(chart->lines[0].label, "user");
    ck_assert_str_eq(chart->unit, "%");
    const pb_chart_line_t *top = &chart->lines[6];
    ck_assert_uint_le(top->n, 2 * PB_CHART_BUCKETS + 2);
    double peak = 0;
    for (size_t i = 0; i < top->n; i++) {
        peak = top->y[i] > peak ? top->y[i] : peak;
        ck_assert(top->y[i] >= chart->lines[5].y[i]); /* layers never cross */
    }
    ck_assert_double_eq_tol(peak, 100.0, 1e-9); /* 97 user + 1 system + 4 x 0.5 */
    ck_assert_double_ge(chart->y1, 100.0);
    pb_chart_destroy(&chart);
    pb_chart_destroy(&chart);
    ck_assert_ptr_null(chart);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(memory_axis_is_scaled_to_gib_with_nice_ticks)
{
    pb_model_t *model = s_model(120, SIZE_MAX);
    pb_chart_t *chart = pb_chart_group(model, 0, PB_GROUP_MEM, 50);
    ck_assert_str_eq(chart->unit, "GiB");
    ck_assert(!chart->stacked);
    ck_assert_uint_ge(chart->nyticks, 3);
    ck_assert_double_eq(chart->yticks[0].at, 0);
    ck_assert_str_eq(chart->yticks[0].label, "0");
    double step = chart->yticks[1].at - chart->yticks[0].at;
    for (size_t t = 1; t < chart->nyticks; t++)
        ck_assert_double_eq_tol(chart->yticks[t].at - chart->yticks[t - 1].at, step, 1e-6);
    ck_assert_double_le(chart->yticks[chart->nyticks - 1].at, chart->y1 * (1 + 1e-9));
    ck_assert_uint_ge(chart->nxticks, 2);
    ck_assert_str_eq(chart->xticks[0].label, "00:00:00"); /* 30 s steps */
    pb_chart_destroy(&chart);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(top_processes_are_lines_labelled_with_pid)
{
    pb_model_t *model = s_model(30, SIZE_MAX);
    pb_chart_t *chart = pb_chart_procs(model, 0, PB_ORDER_RSS, 2, 20);
    ck_assert_uint_eq(chart->nlines, 2);
    ck_assert_str_eq(chart->lines[0].label, "naïve-wörker (1002)"); /* 3 MiB */
    ck_assert_ptr_nonnull(strstr(chart->lines[1].label, "(1001)"));
    ck_assert_str_eq(chart->unit, "MiB");
    pb_chart_destroy(&chart);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(an_empty_model_gives_an_empty_chart)
{
    pb_model_t *model = pb_model_new();
    pb_chart_t *chart = pb_chart_group(model, 0, PB_GROUP_NET, 10);
    ck_assert_ptr_nonnull(chart);
    ck_assert(chart->empty);
    ck_assert_uint_eq(chart->lines[0].n, 0);
    ck_assert_ptr_null(pb_chart_group(model, 0, PB_GROUP_COUNT, 10));
    pb_chart_destroy(&chart);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(values_are_formatted_with_units)
{
    char buf[32];
    pb_chart_format(12.345, PB_UNIT_PCT, buf, sizeof(buf));
    ck_assert_str_eq(buf, "12.35 %");
    pb_chart_format(1.5 * 1024 * 1024 * 1024, PB_UNIT_BYTES, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1.50 GiB");
    pb_chart_format(3.2 * 1024 * 1024, PB_UNIT_BYTES_PER_S, buf, sizeof(buf));
    ck_assert_str_eq(buf, "3.20 MiB/s");
    pb_chart_format(512, PB_UNIT_BYTES, buf, sizeof(buf));
    ck_assert_str_eq(buf, "512.00 B");
    pb_chart_format(0.42, PB_UNIT_PLAIN, buf, sizeof(buf));
    ck_assert_str_eq(buf, "0.42");
    pb_chart_format(NAN, PB_UNIT_PCT, buf, sizeof(buf));
    ck_assert_str_eq(buf, "-");
    pb_chart_format_time(1767225600.0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-01-01 00:00:00 UTC");
    ck_assert_uint_eq(pb_chart_color(0), pb_chart_color(10));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_chart");
    TCase *tc = tcase_create("chart");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cpu_is_stacked_and_keeps_a_one_second_spike_of_a_day);
    tcase_add_test(tc, memory_axis_is_scaled_to_gib_with_nice_ticks);
    tcase_add_test(tc, top_processes_are_lines_labelled_with_pid);
    tcase_add_test(tc, an_empty_model_gives_an_empty_chart);
    tcase_add_test(tc, values_are_formatted_with_units);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
