/* Tests of pb_progress: silent for quick work, a line once work passes one second. */
#include "pb_progress.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(quick_work_prints_nothing)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    pb_progress_t *progress = pb_progress_new(out);
    pb_progress_update(progress, "reading %d", 1);
    ck_assert_int_eq(pb_progress_done(progress, "done"), 0);
    pb_progress_destroy(&progress);
    pb_progress_destroy(&progress);
    ck_assert_ptr_null(progress);
    fclose(out);
    ck_assert_uint_eq(len, 0);
    free(buf);
    pb_progress_update(NULL, "ignored");
    ck_assert_int_eq(pb_progress_done(NULL, "x"), 0);
}
END_TEST

START_TEST(slow_work_gets_a_line_and_a_total)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    pb_progress_t *progress = pb_progress_new(out);
    usleep(1100 * 1000);
    pb_progress_update(progress, "reading %d records", 42);
    pb_progress_update(progress, "throttled");
    ck_assert_int_eq(pb_progress_done(progress, "done"), 1);
    pb_progress_destroy(&progress);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "perfbus-report: reading 42 records (1."));
    ck_assert_ptr_null(strstr(buf, "throttled"));
    ck_assert_ptr_nonnull(strstr(buf, "perfbus-report: done in 1."));
    free(buf);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, quick_work_prints_nothing);
    tcase_add_test(tc, slow_work_gets_a_line_and_a_total);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
