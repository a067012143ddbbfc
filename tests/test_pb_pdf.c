/* Tests of pb_pdf: a whole document comes out for full, multi-host and empty models. */
#include "pb_pdf.h"

#include "pb_synth.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_fill(pb_model_t *model, const char *host, size_t samples, size_t procs)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.host = host;
    opts.samples = samples;
    opts.procs = procs;
    ck_assert_int_eq(pb_synth_fill(&opts, model), 0);
}

/* Renders into memory; returns the buffer (caller frees) and its length. */
static char *s_render(const pb_model_t *model, size_t *len)
{
    char *buf = NULL, err[256] = "";
    FILE *out = open_memstream(&buf, len);
    int rc = pb_pdf_write(out, model, "run test", err, sizeof(err));
    fclose(out);
    ck_assert_msg(rc == 0, "pb_pdf_write: %d %s", rc, err);
    return buf;
}

static size_t s_count(const char *buf, size_t len, const char *what)
{
    size_t n = 0, wlen = strlen(what);
    for (size_t i = 0; i + wlen <= len; i++)
        n += memcmp(buf + i, what, wlen) == 0;
    return n;
}

START_TEST(a_run_gives_a_complete_pdf)
{
    pb_model_t *model = pb_model_new();
    s_fill(model, "alpha", 600, 12);
    size_t len;
    char *buf = s_render(model, &len);
    ck_assert_uint_gt(len, 10000);
    ck_assert_int_eq(memcmp(buf, "%PDF-1.", 7), 0);
    ck_assert_ptr_nonnull(memmem(buf + len - 8, 8, "%%EOF", 5));
    ck_assert_uint_ge(s_count(buf, len, "/Type /Page\r") + s_count(buf, len, "/Type /Page\n") +
                          s_count(buf, len, "/Type /Page "),
                      4);
    free(buf);
    pb_model_destroy(&model);
}
END_TEST

START_TEST(each_host_gets_its_pages)
{
    pb_model_t *one = pb_model_new(), *two = pb_model_new();
    s_fill(one, "alpha", 60, 2);
    s_fill(two, "alpha", 60, 2);
    s_fill(two, "beta", 60, 2);
    size_t len1, len2;
    char *buf1 = s_render(one, &len1), *buf2 = s_render(two, &len2);
    ck_assert_uint_gt(len2, len1 + len1 / 3);
    free(buf1);
    free(buf2);
    pb_model_destroy(&one);
    pb_model_destroy(&two);
}
END_TEST

START_TEST(an_empty_model_still_renders_a_cover)
{
    pb_model_t *model = pb_model_new();
    size_t len;
    char *buf = s_render(model, &len);
    ck_assert_int_eq(memcmp(buf, "%PDF-1.", 7), 0);
    free(buf);
    pb_model_destroy(&model);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_pdf");
    TCase *tc = tcase_create("pdf");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_run_gives_a_complete_pdf);
    tcase_add_test(tc, each_host_gets_its_pages);
    tcase_add_test(tc, an_empty_model_still_renders_a_cover);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
