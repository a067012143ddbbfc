/* Check suite for pb_config: perfbusd's defaults, flags, config file and their errors. */
#include "pb_config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_parse(pb_config_t *c, char *err, size_t errlen, int argc, char **argv)
{
    pb_config_defaults(c);
    return pb_config_parse_args(c, argc, argv, err, errlen);
}

START_TEST(defaults_serve_without_configuration)
{
    pb_config_t c;
    pb_config_defaults(&c);
    ck_assert_str_eq(c.pub_endpoint, "tcp://127.0.0.1:7710");
    ck_assert_str_eq(c.control_endpoint, "tcp://127.0.0.1:7711");
    ck_assert_double_eq(c.interval_s, 1.0);
    ck_assert(!c.all);
    ck_assert_uint_eq(c.npids, 0);
}
END_TEST

START_TEST(flags_fill_every_setting)
{
    char *argv[] = {"perfbusd", "--pub",  "ipc:///tmp/p", "--interval=0.01",
                    "--pid",    "1",      "--pid",        "42",
                    "--match",  "^ng",    "--top",        "5",
                    "--all",    "--host", "web1",         NULL};
    pb_config_t c;
    char err[256] = "";
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 15, argv), 0);
    ck_assert_str_eq(c.pub_endpoint, "ipc:///tmp/p");
    ck_assert_double_eq(c.interval_s, 0.01);
    ck_assert_uint_eq(c.npids, 2);
    ck_assert_uint_eq(c.pids[1], 42);
    ck_assert_str_eq(c.matches[0], "^ng");
    ck_assert_uint_eq(c.top_n, 5);
    ck_assert(c.all);
    ck_assert_str_eq(c.host, "web1");
}
END_TEST

START_TEST(bad_flags_are_named)
{
    pb_config_t c;
    char err[256];
    char *a1[] = {"perfbusd", "--interval", "0.001", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, a1), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "invalid value '0.001' for interval"));
    char *a2[] = {"perfbusd", "--pid", "-3", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, a2), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "for pid"));
    char *a3[] = {"perfbusd", "--bogus", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 2, a3), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--bogus"));
    char *a4[] = {"perfbusd", "stray", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 2, a4), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unexpected argument 'stray'"));
    char *a5[] = {"perfbusd", "--interval", "abc", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, a5), -EINVAL);
}
END_TEST

START_TEST(file_is_read_first_and_flags_override)
{
    char path[] = "/tmp/pb_config_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# perfbusd.conf\ninterval = 0.5\nmatch = ^postgres$\ntop = 3\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {"perfbusd", "--interval", "2", "--config", path, NULL};
    pb_config_t c;
    char err[256] = "";
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 5, argv), 0);
    ck_assert_double_eq(c.interval_s, 2.0);
    ck_assert_str_eq(c.matches[0], "^postgres$");
    ck_assert_uint_eq(c.top_n, 3);
    unlink(path);
}
END_TEST

START_TEST(file_errors_carry_the_line)
{
    char path[] = "/tmp/pb_config_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "interval = 1\nfrobnicate = yes\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    pb_config_t c;
    char err[512] = "";
    pb_config_defaults(&c);
    ck_assert_int_eq(pb_config_load(&c, path, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting 'frobnicate'"));
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_serve_without_configuration);
    tcase_add_test(tc, flags_fill_every_setting);
    tcase_add_test(tc, bad_flags_are_named);
    tcase_add_test(tc, file_is_read_first_and_flags_override);
    tcase_add_test(tc, file_errors_carry_the_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
