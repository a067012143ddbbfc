/* Unit tests of pb_sealer: closed segments pushed are all sealed, in order, by its thread. */
#include "pb_sealer.h"

#include "pb_segment.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];

static void s_setup(void)
{
    strcpy(s_dir, "/tmp/pb_sealer_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_segment(int i, char *path, size_t size)
{
    snprintf(path, size, "%s/segment-%06d.pbl", s_dir, i);
    pb_segment_writer_t *w = pb_segment_writer_new(path);
    ck_assert_ptr_nonnull(w);
    for (int k = 0; k < 2000; k++)
        ck_assert_int_eq(pb_segment_writer_append(w, (uint64_t)k, "sys.h", 5, "payload", 7), 0);
    pb_segment_writer_destroy(&w);
}

static int s_exists(const char *dir, int i, const char *ext)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/segment-%06d.%s", dir, i, ext);
    return stat(path, &st) == 0;
}

START_TEST(everything_pushed_is_sealed)
{
    pb_sealer_t *sealer = pb_sealer_new(1);
    ck_assert_ptr_nonnull(sealer);
    ck_assert_uint_eq(pb_sealer_pending(sealer), 0);
    char path[128];
    for (int i = 1; i <= 5; i++) {
        s_segment(i, path, sizeof path);
        ck_assert_int_eq(pb_sealer_push(sealer, path), 0); /* never waits for a seal */
    }
    pb_sealer_destroy(&sealer);
    ck_assert_ptr_null(sealer);
    for (int i = 1; i <= 5; i++) {
        ck_assert_int_eq(s_exists(s_dir, i, "pbz"), 1);
        ck_assert_int_eq(s_exists(s_dir, i, "pbr"), 1);
        ck_assert_int_eq(s_exists(s_dir, i, "pbl"), 0);
    }
}
END_TEST

START_TEST(a_failed_seal_is_not_fatal)
{
    pb_sealer_t *sealer = pb_sealer_new(1);
    char path[128];
    snprintf(path, sizeof path, "%s/segment-000009.pbl", s_dir); /* never written */
    ck_assert_int_eq(pb_sealer_push(sealer, path), 0);
    s_segment(10, path, sizeof path);
    ck_assert_int_eq(pb_sealer_push(sealer, path), 0);
    pb_sealer_destroy(&sealer);
    ck_assert_int_eq(s_exists(s_dir, 10, "pbz"), 1);
    ck_assert_int_eq(s_exists(s_dir, 9, "pbz"), 0);
    pb_sealer_destroy(&sealer); /* NULL is fine */
}
END_TEST

START_TEST(an_unused_sealer_starts_no_thread)
{
    pb_sealer_t *sealer = pb_sealer_new(3);
    ck_assert_uint_eq(pb_sealer_pending(sealer), 0);
    pb_sealer_destroy(&sealer);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sealer");
    TCase *tc = tcase_create("sealer");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, everything_pushed_is_sealed);
    tcase_add_test(tc, a_failed_seal_is_not_fatal);
    tcase_add_test(tc, an_unused_sealer_starts_no_thread);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
