/* Tests of pb_html: one self-contained page, one SVG per chart, everything escaped. */
#include "pb_html.h"

#include "pb_synth.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_render(size_t samples, size_t procs)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = samples;
    opts.procs = procs;
    pb_model_t *model = pb_model_new();
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(pb_html_write(out, model, "run <x>", err, sizeof(err)), 0);
    fclose(out);
    pb_model_destroy(&model);
    return buf;
}

static size_t s_count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

START_TEST(one_svg_per_chart_and_no_outside_reference)
{
    char *html = s_render(300, 10);
    ck_assert_uint_eq(s_count(html, "<svg "), 6);
    ck_assert_uint_eq(s_count(html, "</svg>"), 6);
    ck_assert_ptr_null(strstr(html, "http:"));
    ck_assert_ptr_null(strstr(html, "https:"));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<link"));
    ck_assert_ptr_nonnull(strstr(html, "viewBox=\"0 0 480 270\""));
    ck_assert_ptr_nonnull(strstr(html, "width=device-width"));
    free(html);
}
END_TEST

START_TEST(frame_text_is_escaped_and_kept_as_utf8)
{
    char *html = s_render(30, 10);
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;x&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "run &lt;x&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "日本語プロセス"));
    ck_assert_ptr_nonnull(strstr(html, "<title>python3 (1009)</title>"));
    free(html);
}
END_TEST

START_TEST(without_processes_there_are_four_charts)
{
    char *html = s_render(30, 0);
    ck_assert_uint_eq(s_count(html, "<svg "), 4);
    ck_assert_ptr_nonnull(strstr(html, "No process frames in this run."));
    free(html);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_html");
    TCase *tc = tcase_create("html");
    tcase_add_test(tc, one_svg_per_chart_and_no_outside_reference);
    tcase_add_test(tc, frame_text_is_escaped_and_kept_as_utf8);
    tcase_add_test(tc, without_processes_there_are_four_charts);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
