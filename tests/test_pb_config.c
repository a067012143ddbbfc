/* Check suite for pb_config: perfbusd's defaults, flags, config file and their errors. */
#include "pb_config.h"

#include "pb_test_file.h"

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

START_TEST(curve_settings_come_together)
{
    char *both[] = {"perfbusd", "--curve-secret", "/etc/passwd", "--curve-allow",
                    "/tmp",     "--insecure",     NULL};
    pb_config_t c;
    char err[256] = "";
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 6, both), 0);
    ck_assert_str_eq(c.curve_secret, "/etc/passwd");
    ck_assert_str_eq(c.curve_allow, "/tmp");
    ck_assert(c.insecure);
    char *alone[] = {"perfbusd", "--curve-secret", "/etc/passwd", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, alone), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--curve-allow"));
    char *file_as_dir[] = {"perfbusd", "--curve-allow", "/etc/passwd", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, file_as_dir), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a directory"));
    char *missing[] = {"perfbusd", "--curve-secret", "/nonexistent/key", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, missing), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "curve-secret"));
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
    /* getopt_long's refusals, worded as perfbus-sub words them */
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 2, a3), -EINVAL);
    ck_assert_str_eq(err, "unknown option '--bogus' (see --help)");
    char *a6[] = {"perfbusd", "--pub", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 2, a6), -EINVAL);
    ck_assert_str_eq(err, "--pub needs a value (see --help)");
    char *a7[] = {"perfbusd", "--all=yes", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 2, a7), -EINVAL);
    ck_assert_str_eq(err, "--all takes no value (see --help)");
}
END_TEST

START_TEST(sndhwm_is_a_positive_count)
{
    pb_config_t c;
    char err[256] = "";
    pb_config_defaults(&c);
    ck_assert_uint_eq(c.sndhwm, 1000);
    char *ok[] = {"perfbusd", "--sndhwm", "50", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, ok), 0);
    ck_assert_uint_eq(c.sndhwm, 50);
    char *zero[] = {"perfbusd", "--sndhwm", "0", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, zero), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "sndhwm"));
    char *big[] = {"perfbusd", "--sndhwm", "10000001", NULL};
    ck_assert_int_eq(s_parse(&c, err, sizeof err, 3, big), -EINVAL);
}
END_TEST

START_TEST(file_is_read_first_and_flags_override)
{
    char path[32];
    pb_test_file(path, sizeof path,
                 "# perfbusd.conf\ninterval = 0.5\nmatch = ^postgres$\ntop = 3\n");
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
    char path[32];
    pb_test_file(path, sizeof path, "interval = 1\nfrobnicate = yes\n");
    pb_config_t c;
    char err[512] = "";
    pb_config_defaults(&c);
    ck_assert_int_eq(pb_config_load(&c, path, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting 'frobnicate'"));
    unlink(path);
    pb_test_file(path, sizeof path, "intervl = 1\n");
    ck_assert_int_eq(pb_config_load(&c, path, err, sizeof err), -EINVAL);
    ck_assert_msg(strstr(err, ":1: unknown setting 'intervl' (did you mean 'interval'?)"), "%s",
                  err);
    unlink(path);
}
END_TEST

static const char *s_conf(const char *text)
{
    static char path[32];
    return pb_test_file(path, sizeof path, text);
}

/* Loads text as a config file; returns the rc, err holds the message. */
static int s_load(pb_config_t *c, const char *text, char *err, size_t errlen)
{
    const char *path = s_conf(text);
    pb_config_defaults(c);
    err[0] = '\0';
    int rc = pb_config_load(c, path, err, errlen);
    unlink(path);
    return rc;
}

START_TEST(inline_comments_in_the_file)
{
    pb_config_t c;
    char err[512];
    ck_assert_int_eq(s_load(&c,
                            "interval = 0.5   # twice a second\n"
                            "top = 10 # busiest\n"
                            "match = ^(nginx|postgres)$  # web and db\n"
                            "all = yes # everything\n",
                            err, sizeof err),
                     0);
    ck_assert_double_eq(c.interval_s, 0.5);
    ck_assert_uint_eq(c.top_n, 10);
    ck_assert_str_eq(c.matches[0], "^(nginx|postgres)$");
    ck_assert(c.all);
}
END_TEST

/* 64+ characters in one word used to pass (sscanf split it in two) and fail
 * at start reading past the string; now refused at parse time, with the line. */
START_TEST(long_one_word_command_is_refused_at_parse_time)
{
    pb_config_t c;
    char err[1024], text[256];
    snprintf(text, sizeof text, "interval = 1\ncommand = %070d\n", 7);
    ck_assert_int_eq(s_load(&c, text, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: invalid value '"));
    ck_assert_ptr_nonnull(strstr(err, "expected 'NAME PROGRAM [ARG]...'"));
    ck_assert_uint_eq(c.ncommands, 0);
    snprintf(text, sizeof text, "command = %070d /bin/true\n", 7);
    ck_assert_int_eq(s_load(&c, text, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":1: "));
    ck_assert_ptr_nonnull(strstr(err, "NAME must be 1 to 63"));
    ck_assert_uint_eq(c.ncommands, 0);
}
END_TEST

START_TEST(command_syntax_is_checked)
{
    pb_config_t c;
    char err[2048];
    ck_assert_int_eq(s_load(&c, "command = sleepy /bin/sleep 0.1 # a nap\n", err, sizeof err), 0);
    ck_assert_uint_eq(c.ncommands, 1);
    ck_assert_str_eq(c.commands[0], "sleepy /bin/sleep 0.1");
    ck_assert_int_eq(s_load(&c, "command = lonely\n", err, sizeof err), -EINVAL);
    ck_assert_int_eq(s_load(&c, "command = bad/name /bin/true\n", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "NAME must be"));
    ck_assert_int_eq(s_load(&c, "command = -x /bin/true\n", err, sizeof err), -EINVAL);
    ck_assert_int_eq(s_load(&c, "command = a /bin/true\ncommand = a /bin/false\n", err, sizeof err),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: "));
    ck_assert_ptr_nonnull(strstr(err, "already set"));
    char text[512] = "command = many /bin/echo";
    for (int i = 0; i < 62; i++)
        strcat(text, " x");
    ck_assert_int_eq(s_load(&c, text, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "more than 62 words"));
    text[strlen(text) - 2] = '\0'; /* 62 words after NAME: fine */
    ck_assert_int_eq(s_load(&c, text, err, sizeof err), 0);
    char big[700] = "command = big /bin/echo ";
    memset(big + strlen(big), 'y', 500);
    ck_assert_int_eq(s_load(&c, big, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "...' for command: too long"));
    ck_assert_uint_eq(c.ncommands, 0); /* a refused command takes no slot */
}
END_TEST

START_TEST(endpoints_host_and_root_are_checked)
{
    pb_config_t c;
    char err[512];
    ck_assert_int_eq(s_load(&c, "pub = 127.0.0.1:7710\n", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":1: invalid value '127.0.0.1:7710' for pub"));
    ck_assert_int_eq(s_load(&c, "control = tcp://\n", err, sizeof err), -EINVAL);
    ck_assert_int_eq(s_load(&c, "pub = ipc:///tmp/x.sock\n", err, sizeof err), 0);
    ck_assert_int_eq(s_load(&c, "host = web 1\n", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "for host"));
    ck_assert_int_eq(s_load(&c, "root = /nonexistent/tree\n", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a directory"));
    ck_assert_int_eq(s_load(&c, "root = " PB_FIXTURES "\n", err, sizeof err), 0);
    ck_assert_int_eq(s_load(&c, "top = 5 apples\n", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":1: invalid value '5 apples' for top"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_serve_without_configuration);
    tcase_add_test(tc, curve_settings_come_together);
    tcase_add_test(tc, flags_fill_every_setting);
    tcase_add_test(tc, bad_flags_are_named);
    tcase_add_test(tc, sndhwm_is_a_positive_count);
    tcase_add_test(tc, file_is_read_first_and_flags_override);
    tcase_add_test(tc, file_errors_carry_the_line);
    tcase_add_test(tc, inline_comments_in_the_file);
    tcase_add_test(tc, long_one_word_command_is_refused_at_parse_time);
    tcase_add_test(tc, command_syntax_is_checked);
    tcase_add_test(tc, endpoints_host_and_root_are_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
