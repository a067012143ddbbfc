/* Check suite for pb_secret: secret files (modes, sizes, kinds), tokens and the constant-time
 * compare. */
#include "pb_secret.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];

static void s_setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/pb-secret-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
}

static const char *s_write(const char *name, const void *data, size_t len, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

static void s_teardown(void)
{
    const char *names[] = {"a", "big", "tok"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", s_dir, names[i]);
        unlink(path);
    }
    rmdir(s_dir);
}

START_TEST(whole_file_with_its_length)
{
    char err[256], *out = NULL;
    size_t len = 0;
    const char *p = s_write("a", "ab\0cd", 5, 0600);
    ck_assert_int_eq(pb_secret_read(p, "--k", 1, &out, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(out, "ab\0cd", 6), 0); /* NUL-terminated too */
    free(out);
}
END_TEST

START_TEST(files_anyone_may_read_are_refused_when_private)
{
    char err[256], *out = NULL;
    const char *p = s_write("a", "x", 1, 0604);
    ck_assert_int_eq(pb_secret_read(p, "--k", 1, &out, NULL, err, sizeof err), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "--k"));
    ck_assert_ptr_nonnull(strstr(err, "chmod"));
    ck_assert_int_eq(pb_secret_read(p, "--cert", 0, &out, NULL, err, sizeof err), 0);
    free(out);
    chmod(p, 0602);
    ck_assert_int_eq(pb_secret_read(p, "--k", 1, &out, NULL, err, sizeof err), -EPERM);
}
END_TEST

START_TEST(wrong_kinds_and_sizes_are_refused)
{
    char err[256], *out = NULL;
    ck_assert_int_eq(pb_secret_read(s_dir, "--k", 1, &out, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
    ck_assert_int_eq(pb_secret_read("/nonexistent/k", "--k", 1, &out, NULL, err, sizeof err),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/k"));
    const char *p = s_write("a", "", 0, 0600);
    ck_assert_int_eq(pb_secret_read(p, "--k", 1, &out, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    size_t n = PB_SECRET_MAX_BYTES + 1;
    char *big = calloc(1, n);
    p = s_write("big", big, n, 0600);
    free(big);
    ck_assert_int_eq(pb_secret_read(p, "--k", 1, &out, NULL, err, sizeof err), -EFBIG);
}
END_TEST

START_TEST(token_is_the_trimmed_first_line)
{
    char err[256], *tok = NULL;
    const char *p = s_write("tok", "\n  abcdefghijklmnop \r\nsecond line\n", 34, 0600);
    ck_assert_int_eq(pb_secret_read_token(p, "--t", 16, &tok, err, sizeof err), 0);
    ck_assert_str_eq(tok, "abcdefghijklmnop");
    free(tok);
    ck_assert_int_eq(pb_secret_read_token(p, "--t", 17, &tok, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "16 characters, want >= 17"));
    p = s_write("tok", "user: pass word \n", 17, 0600);
    ck_assert_int_eq(pb_secret_read_token(p, "--t", 1, &tok, err, sizeof err), -EINVAL);
    ck_assert_int_eq(pb_secret_read_line(p, "--t", &tok, err, sizeof err), 0);
    ck_assert_str_eq(tok, "user: pass word");
    pb_secret_free(&tok);
    ck_assert_ptr_null(tok);
    p = s_write("tok", "\n\n", 2, 0600);
    ck_assert_int_eq(pb_secret_read_line(p, "--t", &tok, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "0 characters"));
    p = s_write("tok", "abcdefgh\x01ijklmnop\n", 18, 0600);
    ck_assert_int_eq(pb_secret_read_token(p, "--t", 4, &tok, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "control"));
}
END_TEST

START_TEST(equal_compares_every_byte_and_the_lengths)
{
    ck_assert(pb_secret_equal("abc", 3, "abc", 3));
    ck_assert(!pb_secret_equal("abc", 3, "abd", 3));
    ck_assert(!pb_secret_equal("abc", 3, "abcd", 4));
    ck_assert(!pb_secret_equal("", 0, "a", 1));
    ck_assert(pb_secret_equal("", 0, "", 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_secret");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, whole_file_with_its_length);
    tcase_add_test(tc, files_anyone_may_read_are_refused_when_private);
    tcase_add_test(tc, wrong_kinds_and_sizes_are_refused);
    tcase_add_test(tc, token_is_the_trimmed_first_line);
    tcase_add_test(tc, equal_compares_every_byte_and_the_lengths);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
