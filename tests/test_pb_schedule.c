/* Tests of pb_schedule: one report per period, names with the period, empty periods, --keep. */
#include "pb_schedule.h"

#include "pb_report.h"
#include "pb_synth.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_JAN1 (1767225600ULL * 1000000000ULL)
#define S_HOUR (3600ULL * 1000000000ULL)

static char s_dir[64], s_store[128], s_out[128];

/* Data in hours 0, 1 and 3 of 2026-01-01 (10 minutes each); hour 2 is empty. */
static void s_setup(void)
{
    strcpy(s_dir, "/tmp/pb_schedule_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_store, sizeof(s_store), "%s/store", s_dir);
    snprintf(s_out, sizeof(s_out), "%s/out", s_dir);
    const uint64_t hours[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        pb_synth_opts_t opts;
        char run[4096];
        pb_synth_defaults(&opts);
        opts.start_ns = S_JAN1 + hours[i] * S_HOUR;
        opts.samples = 600;
        opts.procs = 1;
        ck_assert_int_eq(pb_synth_write(&opts, s_store, run, sizeof(run)), 0);
    }
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_opts(pb_schedule_opts_t *opts, unsigned keep)
{
    memset(opts, 0, sizeof(*opts));
    pb_source_defaults(&opts->source);
    opts->source.store = s_store;
    opts->every_s = 3600;
    opts->window_s = 3600;
    opts->keep = keep;
    opts->formats = PB_FORMAT_CSV | PB_FORMAT_JSON;
    opts->out_dir = s_out;
}

static int s_count(const char *ext)
{
    DIR *dir = opendir(s_out);
    struct dirent *d;
    int n = 0;
    ck_assert_ptr_nonnull(dir);
    while ((d = readdir(dir)))
        n += strstr(d->d_name, ext) && strncmp(d->d_name, "perfbus-", 8) == 0;
    closedir(dir);
    return n;
}

START_TEST(names_carry_the_period)
{
    pb_schedule_opts_t opts;
    char name[128];
    s_opts(&opts, 0);
    ck_assert_int_eq(pb_schedule_name(&opts, S_JAN1 + S_HOUR, "pdf", name, sizeof(name)), 0);
    ck_assert_str_eq(name, "perfbus-20260101T000000Z-20260101T010000Z.pdf");
    ck_assert_int_eq(pb_schedule_name(&opts, S_JAN1, "pdf", name, 10), -ENAMETOOLONG);
}
END_TEST

START_TEST(empty_periods_are_skipped_and_done_ones_not_redone)
{
    pb_schedule_opts_t opts;
    s_opts(&opts, 0);
    ck_assert_int_eq(pb_schedule_backfill(&opts, S_JAN1, S_JAN1 + 5 * S_HOUR), 3);
    ck_assert_int_eq(s_count(".csv"), 3);
    ck_assert_int_eq(s_count(".json"), 3);
    char path[256];
    snprintf(path, sizeof(path), "%s/perfbus-20260101T020000Z-20260101T030000Z.csv", s_out);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(pb_schedule_period(&opts, S_JAN1 + S_HOUR), 0);
}
END_TEST

START_TEST(keep_removes_the_oldest)
{
    pb_schedule_opts_t opts;
    s_opts(&opts, 2);
    ck_assert_int_eq(pb_schedule_backfill(&opts, S_JAN1, S_JAN1 + 5 * S_HOUR), 3);
    ck_assert_int_eq(s_count(".csv"), 2);
    char path[256];
    snprintf(path, sizeof(path), "%s/perfbus-20260101T000000Z-20260101T010000Z.csv", s_out);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(an_unusable_out_dir_is_an_error)
{
    pb_schedule_opts_t opts;
    s_opts(&opts, 0);
    opts.out_dir = "/nonexistent/deeper/out";
    ck_assert_int_lt(pb_schedule_backfill(&opts, S_JAN1, S_JAN1 + S_HOUR), 0);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_schedule");
    TCase *tc = tcase_create("schedule");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, names_carry_the_period);
    tcase_add_test(tc, empty_periods_are_skipped_and_done_ones_not_redone);
    tcase_add_test(tc, keep_removes_the_oldest);
    tcase_add_test(tc, an_unusable_out_dir_is_an_error);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
