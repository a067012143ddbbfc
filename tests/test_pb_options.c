/* Unit tests of pb_options: perfbus-sub's flags, config file and their errors. */
#include "pb_options.h"

#include "pb_test_file.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pb_options_t s_opts;
static char s_err[256];

static int s_parse(int argc, char **argv)
{
    pb_options_defaults(&s_opts);
    s_err[0] = '\0';
    return pb_options_parse_args(&s_opts, argc, argv, s_err, sizeof s_err);
}

START_TEST(defaults)
{
    char *argv[] = {"perfbus-sub"};
    ck_assert_int_eq(s_parse(1, argv), 0);
    ck_assert_uint_eq(s_opts.sub.nconnect, 0); /* pb_sub fills tcp://127.0.0.1:7710 */
    ck_assert_ptr_null(s_opts.sub.query);
    ck_assert(!s_opts.sub.record);
    ck_assert_int_eq(s_opts.sub.flush_ms, 1000);
}
END_TEST

START_TEST(every_flag)
{
    char *argv[] = {"perfbus-sub",
                    "--connect",
                    "ipc://a",
                    "--connect",
                    "ipc://b",
                    "--subscribe",
                    "sys.",
                    "--query",
                    "ipc://q",
                    "--history",
                    "100",
                    "--history-seconds",
                    "60",
                    "--max-procs",
                    "8",
                    "--gone-seconds",
                    "5",
                    "--record",
                    "--store",
                    "/tmp/s",
                    "--segment-mb",
                    "2",
                    "--flush-ms",
                    "250",
                    "--keep-days",
                    "1.5",
                    "--keep-gb",
                    "0.5",
                    "--verbose"};
    ck_assert_int_eq(s_parse(sizeof argv / sizeof argv[0], argv), 0);
    ck_assert_uint_eq(s_opts.sub.nconnect, 2);
    ck_assert_str_eq(s_opts.sub.connect[1], "ipc://b");
    ck_assert_str_eq(s_opts.sub.subscribe[0], "sys.");
    ck_assert_str_eq(s_opts.sub.query, "ipc://q");
    ck_assert_uint_eq(s_opts.sub.history.capacity, 100);
    ck_assert_uint_eq(s_opts.sub.history.max_age_ns, 60000000000ull);
    ck_assert_uint_eq(s_opts.sub.history.max_procs, 8);
    ck_assert_uint_eq(s_opts.sub.history.gone_ns, 5000000000ull);
    ck_assert(s_opts.sub.record);
    ck_assert_str_eq(s_opts.sub.store, "/tmp/s");
    ck_assert_uint_eq(s_opts.sub.segment_bytes, 2 * 1024 * 1024);
    ck_assert_int_eq(s_opts.sub.flush_ms, 250);
    ck_assert_double_eq(s_opts.sub.keep_days, 1.5);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, 512ull * 1024 * 1024);
    ck_assert(s_opts.verbose);
}
END_TEST

START_TEST(http_and_insecure)
{
    char *argv[] = {"perfbus-sub", "--http", "127.0.0.1:0", "--insecure"};
    ck_assert_int_eq(s_parse(4, argv), 0);
    ck_assert_str_eq(s_opts.sub.http, "127.0.0.1:0");
    ck_assert(s_opts.sub.insecure);
    char *off[] = {"perfbus-sub"};
    ck_assert_int_eq(s_parse(1, off), 0);
    ck_assert_ptr_null(s_opts.sub.http);
    ck_assert(!s_opts.sub.insecure);
    char *bad[] = {"perfbus-sub", "--http"};
    ck_assert_int_eq(s_parse(2, bad), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--http"));
}
END_TEST

START_TEST(dashboard_bounds)
{
    char *argv[] = {"perfbus-sub", "--http-clients", "10", "--http-client-kb", "64"};
    ck_assert_int_eq(s_parse(5, argv), 0);
    ck_assert_uint_eq(s_opts.sub.http_clients, 10);
    ck_assert_uint_eq(s_opts.sub.http_client_bytes, 64 * 1024);
    char *none[] = {"perfbus-sub", "--http-clients", "0"};
    ck_assert_int_eq(s_parse(3, none), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--http-clients"));
    char *tiny[] = {"perfbus-sub", "--http-client-kb", "1"};
    ck_assert_int_eq(s_parse(3, tiny), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--http-client-kb"));
}
END_TEST

START_TEST(curve_keys_pair_with_their_connect)
{
    char *argv[] = {"perfbus-sub",
                    "--curve-secret",
                    "/k/mon",
                    "--connect",
                    "tcp://10.0.0.1:7710",
                    "--curve-server-key",
                    "/k/pub1",
                    "--connect",
                    "ipc://local",
                    "--connect",
                    "tcp://10.0.0.2:7710",
                    "--curve-server-key",
                    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
                    "--curve-allow",
                    "/k/allow"};
    ck_assert_int_eq(s_parse(15, argv), 0);
    ck_assert_uint_eq(s_opts.sub.nconnect, 3);
    ck_assert_str_eq(s_opts.sub.curve_server_key[0], "/k/pub1");
    ck_assert_ptr_null(s_opts.sub.curve_server_key[1]);
    ck_assert_str_eq(s_opts.sub.curve_server_key[2], "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    ck_assert_str_eq(s_opts.sub.curve_secret, "/k/mon");
    ck_assert_str_eq(s_opts.sub.curve_allow, "/k/allow");
    char *early[] = {"perfbus-sub", "--curve-server-key", "/k/pub1"};
    ck_assert_int_eq(s_parse(3, early), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--connect"));
    char *twice[] = {"perfbus-sub", "--connect",          "ipc://a", "--curve-server-key",
                     "x",           "--curve-server-key", "y"};
    ck_assert_int_eq(s_parse(7, twice), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "has a key already"));
}
END_TEST

START_TEST(retention_is_on_by_default)
{
    char *argv[] = {"perfbus-sub"};
    ck_assert_int_eq(s_parse(1, argv), 0);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, (uint64_t)PB_OPTIONS_DEFAULT_KEEP_GB << 30);
    char *off[] = {"perfbus-sub", "--keep-gb", "0"};
    ck_assert_int_eq(s_parse(3, off), 0);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, 0);
}
END_TEST

START_TEST(bad_values)
{
    char *a1[] = {"perfbus-sub", "--history", "0"};
    ck_assert_int_eq(s_parse(3, a1), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--history"));
    char *a2[] = {"perfbus-sub", "--flush-ms", "soon"};
    ck_assert_int_eq(s_parse(3, a2), -EINVAL);
    char *a3[] = {"perfbus-sub", "--bogus", "1"};
    ck_assert_int_eq(s_parse(3, a3), -EINVAL);
    ck_assert_str_eq(s_err, "unknown option '--bogus' (see --help)");
    char *a4[] = {"perfbus-sub", "--connect"};
    ck_assert_int_eq(s_parse(2, a4), -EINVAL);
    char *a5[] = {"perfbus-sub", "stray"};
    ck_assert_int_eq(s_parse(2, a5), -EINVAL);
    char *a6[] = {"perfbus-sub", "--record", "maybe"}; /* a switch takes no value */
    ck_assert_int_eq(s_parse(3, a6), -EINVAL);
    char *a7[] = {"perfbus-sub", "--config", "/nonexistent/sub.conf"};
    ck_assert_int_lt(s_parse(3, a7), 0);
}
END_TEST

START_TEST(fleet_settings)
{
    char *argv[] = {"perfbus-sub", "--down-after", "5", "--rcvhwm", "50"};
    ck_assert_int_eq(s_parse(5, argv), 0);
    ck_assert_uint_eq(s_opts.sub.down_after, 5);
    ck_assert_int_eq(s_opts.sub.rcvhwm, 50);
    char *none[] = {"perfbus-sub"};
    ck_assert_int_eq(s_parse(1, none), 0);
    ck_assert_uint_eq(s_opts.sub.down_after, 0); /* pb_sub: 3 */
    ck_assert_int_eq(s_opts.sub.rcvhwm, 0);      /* pb_sub: 100000 */
    char *zero[] = {"perfbus-sub", "--down-after", "0"};
    ck_assert_int_eq(s_parse(3, zero), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--down-after"));
    char *half[] = {"perfbus-sub", "--rcvhwm", "1.5"};
    ck_assert_int_eq(s_parse(3, half), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "--rcvhwm"));
}
END_TEST

START_TEST(too_many_endpoints)
{
    pb_options_defaults(&s_opts);
    for (int i = 0; i < PB_SUB_MAX_ENDPOINTS; i++)
        ck_assert_int_eq(pb_options_set(&s_opts, "connect", "ipc://x", s_err, sizeof s_err), 0);
    ck_assert_int_eq(pb_options_set(&s_opts, "connect", "ipc://x", s_err, sizeof s_err), -EINVAL);
}
END_TEST

START_TEST(config_file_then_flags)
{
    char path[32];
    pb_test_file(path, sizeof path,
                 "# perfbus-sub settings\nrecord = true\nflush-ms = 400\nhistory = 50\n");
    char *argv[] = {"perfbus-sub", "--config", path, "--flush-ms", "300"};
    ck_assert_int_eq(s_parse(5, argv), 0);
    ck_assert(s_opts.sub.record);
    ck_assert_int_eq(s_opts.sub.flush_ms, 300); /* the flag wins */
    ck_assert_uint_eq(s_opts.sub.history.capacity, 50);
    unlink(path);
}
END_TEST

static int s_parse_file(const char *text)
{
    char path[32];
    pb_test_file(path, sizeof path, text);
    char *argv[] = {"perfbus-sub", "--config", path};
    int rc = s_parse(3, argv);
    unlink(path);
    return rc;
}

START_TEST(inline_comments_in_the_file)
{
    ck_assert_int_eq(s_parse_file("record = yes   # keep everything\n"
                                  "flush-ms = 400 # ms\n"
                                  "connect = tcp://127.0.0.1:7710 # local\n"
                                  "subscribe = sys. # system frames only\n"
                                  "idle-seconds = 30\n"),
                     0);
    ck_assert(s_opts.sub.record);
    ck_assert_int_eq(s_opts.sub.flush_ms, 400);
    ck_assert_str_eq(s_opts.sub.connect[0], "tcp://127.0.0.1:7710");
    ck_assert_str_eq(s_opts.sub.subscribe[0], "sys.");
    ck_assert_uint_eq(s_opts.sub.history.idle_ns, 30000000000ull);
}
END_TEST

START_TEST(file_values_are_checked_with_the_line)
{
    ck_assert_int_eq(s_parse_file("record = true\nhistory = 10.5\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":2: --history: '10.5' is not a whole number"));
    ck_assert_int_eq(s_parse_file("\n\nconnect = localhost:7710\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":3: --connect: 'localhost:7710' is not a ZeroMQ"));
    ck_assert_int_eq(s_parse_file("query = tcp://\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":1: --query"));
    ck_assert_int_eq(s_parse_file("record = maybe\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":1: --record: 'maybe' is not true or false"));
    ck_assert_int_eq(s_parse_file("flush-ms = 100 ms\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":1: --flush-ms"));
}
END_TEST

START_TEST(getopt_forms_and_refusals)
{
    char *eq[] = {"perfbus-sub", "--history=20", "--connect=ipc://a", "--rec"};
    ck_assert_int_eq(s_parse(4, eq), 0);
    ck_assert_uint_eq(s_opts.sub.history.capacity, 20);
    ck_assert_str_eq(s_opts.sub.connect[0], "ipc://a");
    ck_assert(s_opts.sub.record); /* a unique prefix, as getopt_long takes it */
    char *missing[] = {"perfbus-sub", "--store"};
    ck_assert_int_eq(s_parse(2, missing), -EINVAL);
    ck_assert_str_eq(s_err, "--store needs a value (see --help)");
    char *typo[] = {"perfbus-sub", "--conect=tcp://x:1"};
    ck_assert_int_eq(s_parse(2, typo), -EINVAL);
    ck_assert_str_eq(s_err, "unknown option '--conect' (did you mean '--connect'?) (see --help)");
    char *novalue[] = {"perfbus-sub", "--record=yes"};
    ck_assert_int_eq(s_parse(2, novalue), -EINVAL);
    ck_assert_str_eq(s_err, "--record takes no value (see --help)");
    char *ambiguous[] = {"perfbus-sub", "--http-t", "x"};
    ck_assert_int_eq(s_parse(3, ambiguous), -EINVAL);
    ck_assert_str_eq(s_err, "ambiguous option '--http-t' (one of --http-tls-cert, --http-tls-key, "
                            "--http-token-file) (see --help)");
    char *shortopt[] = {"perfbus-sub", "-x"};
    ck_assert_int_eq(s_parse(2, shortopt), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "unknown option '-x'"));
}
END_TEST

START_TEST(durations_and_sizes_take_pb_units_forms)
{
    char *argv[] = {"perfbus-sub", "--flush-ms",        "1.5s", "--gone-seconds",
                    "250ms",       "--idle-seconds",    "5m",   "--keep-days",
                    "36h",         "--keep-gb",         "5G",   "--segment-mb",
                    "512K",        "--segment-seconds", "2h",   "--remote-write-deadline",
                    "750ms",       "--http-client-kb",  "1M",   "--history-seconds",
                    "7d"};
    ck_assert_int_eq(s_parse(sizeof argv / sizeof argv[0], argv), 0);
    ck_assert_int_eq(s_opts.sub.flush_ms, 1500);
    ck_assert_uint_eq(s_opts.sub.history.gone_ns, 250000000ull);
    ck_assert_uint_eq(s_opts.sub.history.idle_ns, 300000000000ull);
    ck_assert_double_eq_tol(s_opts.sub.keep_days, 1.5, 1e-9);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, 5ull << 30);
    ck_assert_uint_eq(s_opts.sub.segment_bytes, 512 * 1024);
    ck_assert_uint_eq(s_opts.sub.segment_seconds, 7200);
    ck_assert_uint_eq(s_opts.sub.remote_write.delay_ms, 750);
    ck_assert_uint_eq(s_opts.sub.http_client_bytes, 1024 * 1024);
    ck_assert_uint_eq(s_opts.sub.history.max_age_ns, 7ull * 86400 * 1000000000ull);
    char *bare[] = {"perfbus-sub", "--keep-gb",    "2", "--flush-ms", "250", "--keep-days",
                    "7",           "--segment-mb", "8", "--keep-gb",  "5GiB"};
    ck_assert_int_eq(s_parse(sizeof bare / sizeof bare[0], bare), 0);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, 5ull << 30); /* the last one wins */
    ck_assert_int_eq(s_opts.sub.flush_ms, 250);
    ck_assert_double_eq(s_opts.sub.keep_days, 7);
    ck_assert_uint_eq(s_opts.sub.segment_bytes, 8 * 1024 * 1024);
    const char *bad[][2] = {{"--keep-gb", "5X"},   {"--keep-gb", "-1"},
                            {"--keep-gb", "abc"},  {"--flush-ms", "0"},
                            {"--flush-ms", "2h"},  {"--keep-days", "5X"},
                            {"--history", "-1"},   {"--history", "abc"},
                            {"--segment-mb", "0"}, {"--segment-seconds", "250ms"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *one[] = {"perfbus-sub", (char *)bad[i][0], (char *)bad[i][1]};
        ck_assert_int_eq(s_parse(3, one), -EINVAL);
        ck_assert_msg(strncmp(s_err, bad[i][0], strlen(bad[i][0])) == 0, "%s %s: %s", bad[i][0],
                      bad[i][1], s_err);
    }
}
END_TEST

START_TEST(file_typos_name_the_file_line_and_key)
{
    ck_assert_int_eq(s_parse_file("record = true\n\nconect = tcp://127.0.0.1:7710\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":3: unknown setting 'conect' (did you mean 'connect'?)"));
    ck_assert_int_eq(s_parse_file("zzz = 1\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, ":1: unknown setting 'zzz' (see perfbus-sub --help)"));
    ck_assert_int_eq(s_parse_file("keep-gb = 5G\nflush-ms = 2s\n"), 0);
    ck_assert_uint_eq(s_opts.sub.keep_bytes, 5ull << 30);
    ck_assert_int_eq(s_opts.sub.flush_ms, 2000);
}
END_TEST

START_TEST(help_lists_every_option_and_the_exit_codes)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    pb_options_usage(out);
    fclose(out);
    const char *want[] = {"--connect EP", "--keep-gb SIZE", "--record",       "--config FILE",
                          "--version",    "--help",         "Exit status: 0", "2 for a bad option"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(buf, want[i]), "--help lacks %s", want[i]);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_flag);
    tcase_add_test(tc, http_and_insecure);
    tcase_add_test(tc, dashboard_bounds);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, fleet_settings);
    tcase_add_test(tc, curve_keys_pair_with_their_connect);
    tcase_add_test(tc, retention_is_on_by_default);
    tcase_add_test(tc, too_many_endpoints);
    tcase_add_test(tc, config_file_then_flags);
    tcase_add_test(tc, inline_comments_in_the_file);
    tcase_add_test(tc, file_values_are_checked_with_the_line);
    tcase_add_test(tc, getopt_forms_and_refusals);
    tcase_add_test(tc, durations_and_sizes_take_pb_units_forms);
    tcase_add_test(tc, file_typos_name_the_file_line_and_key);
    tcase_add_test(tc, help_lists_every_option_and_the_exit_codes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
