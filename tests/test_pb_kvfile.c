/* Check suite for pb_kvfile: the config file reader, good lines and bad ones. */
#include "pb_kvfile.h"

#include "pb_test_file.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_seen[512];

static int s_collect(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    (void)arg;
    if (!strcmp(key, "reject")) {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return -EINVAL;
    }
    size_t n = strlen(s_seen);
    snprintf(s_seen + n, sizeof s_seen - n, "[%s=%s]", key, value);
    return 0;
}

static const char *s_write_temp(const char *text)
{
    static char path[32];
    return pb_test_file(path, sizeof path, text);
}

START_TEST(reads_keys_values_comments_and_quotes)
{
    const char *path =
        s_write_temp("# comment\n\n  interval = 0.5  \nmatch = \" a#b \"\nempty =\n");
    char err[256] = "";
    s_seen[0] = '\0';
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), 0);
    ck_assert_str_eq(s_seen, "[interval=0.5][match= a#b ][empty=]");
    unlink(path);
}
END_TEST

START_TEST(names_file_and_line_of_errors)
{
    char err[256] = "";
    const char *path = s_write_temp("a = 1\nno equals sign\n");
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: expected 'key = value'"));
    unlink(path);

    path = s_write_temp("x = \"open\n");
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":1: unterminated quoted value"));
    unlink(path);

    path = s_write_temp("\n= 3\n");
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: missing key"));
    unlink(path);

    path = s_write_temp("ok = 1\nreject = 2\n");
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting 'reject'"));
    unlink(path);

    ck_assert_int_eq(pb_kvfile_read("/nonexistent/perfbus.conf", s_collect, NULL, err, sizeof err),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/perfbus.conf: cannot open"));
}
END_TEST

/* README: `#` starts a comment, also after a value; inside a word it stays. */
START_TEST(inline_comments_are_stripped)
{
    const char *path = s_write_temp("top = 5   # the busiest\n"
                                    "match = ^(nginx|postgres)$ # web and db\n"
                                    "tab = x\t# after a tab\n"
                                    "word = a#b\n"
                                    "hash =# only a comment\n"
                                    "quoted = \"keep # this\"  # not this\n"
                                    "tight = \"q\"#c\n");
    char err[256] = "";
    s_seen[0] = '\0';
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), 0);
    ck_assert_str_eq(s_seen, "[top=5][match=^(nginx|postgres)$][tab=x][word=a#b][hash=]"
                             "[quoted=keep # this][tight=q]");
    unlink(path);
}
END_TEST

START_TEST(text_after_a_quote_and_nul_bytes_are_refused)
{
    char err[256] = "";
    const char *path = s_write_temp("a = 1\nb = \"x\" y\n");
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unexpected text after the closing quote"));
    unlink(path);
    static const char nul[] = "a = 1\nb = x\0y\n";
    path = s_write_temp("");
    FILE *f = fopen(path, "wb");
    fwrite(nul, 1, sizeof nul - 1, f);
    fclose(f);
    ck_assert_int_eq(pb_kvfile_read(path, s_collect, NULL, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: NUL byte"));
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_kvfile");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reads_keys_values_comments_and_quotes);
    tcase_add_test(tc, names_file_and_line_of_errors);
    tcase_add_test(tc, inline_comments_are_stripped);
    tcase_add_test(tc, text_after_a_quote_and_nul_bytes_are_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
