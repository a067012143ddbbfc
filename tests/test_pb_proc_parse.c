/* Check suite for pb_proc_parse: /proc/PID/{stat,status,io,schedstat,cmdline} text, good and bad.
 */
#include "pb_proc_parse.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A real /proc/PID/stat line of this machine (a sleep). */
static const char *SLEEP =
    "17101 (sleep) S 17099 17099 3246 0 -1 4194304 133 0 0 0 7 3 0 0 20 0 1 0 185958 2990080 "
    "411 18446744073709551615 93985064087552 93985064105481 140730340814848 0 0 0 0 6 0 1 0 0 "
    "17 1 0 0 0 0 0 93985064119568 93985064120832 93985245003776 140730340817354 "
    "140730340817367 140730340817367 140730340818921 0\n";

START_TEST(stat_of_a_real_process)
{
    pb_proc_stat_t st;
    ck_assert_int_eq(pb_proc_parse_stat(SLEEP, &st), 0);
    ck_assert_uint_eq(st.pid, 17101);
    ck_assert_str_eq(st.comm, "sleep");
    ck_assert_int_eq(st.state, 'S');
    ck_assert_uint_eq(st.ppid, 17099);
    ck_assert_uint_eq(st.minflt, 133);
    ck_assert_uint_eq(st.majflt, 0);
    ck_assert_uint_eq(st.utime, 7);
    ck_assert_uint_eq(st.stime, 3);
    ck_assert_int_eq(st.nice, 0);
    ck_assert_uint_eq(st.threads, 1);
    ck_assert_uint_eq(st.starttime, 185958);
    ck_assert_uint_eq(st.vsize, 2990080);
    ck_assert_uint_eq(st.rss_pages, 411);
    ck_assert_uint_eq(st.guest_time, 0);
}
END_TEST

START_TEST(stat_comm_may_hold_spaces_and_parentheses)
{
    pb_proc_stat_t st;
    const char *odd = "4321 (my (odd) proc) R 300 1 1 0 -1 0 9 0 1 0 50 20 0 0 20 -5 3 0 150000 "
                      "4096 12 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 8 0\n";
    ck_assert_int_eq(pb_proc_parse_stat(odd, &st), 0);
    ck_assert_str_eq(st.comm, "my (odd) proc");
    ck_assert_int_eq(st.state, 'R');
    ck_assert_int_eq(st.nice, -5);
    ck_assert_uint_eq(st.threads, 3);
    ck_assert_uint_eq(st.guest_time, 8);
    const char *closing = "5 (a) b) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n";
    ck_assert_int_eq(pb_proc_parse_stat(closing, &st), 0);
    ck_assert_str_eq(st.comm, "a) b");
    ck_assert_int_eq(st.state, 'Z');
    const char *empty = "6 () S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n";
    ck_assert_int_eq(pb_proc_parse_stat(empty, &st), 0);
    ck_assert_str_eq(st.comm, "");
}
END_TEST

START_TEST(stat_of_an_old_kernel_without_guest_time)
{
    pb_proc_stat_t st;
    const char *old = "1 (init) S 0 1 1 0 -1 4194560 500 0 0 0 3 4 0 0 20 0 1 0 5 2000000 100 "
                      "4294967295\n";
    ck_assert_int_eq(pb_proc_parse_stat(old, &st), 0);
    ck_assert_uint_eq(st.rss_pages, 100);
    ck_assert_uint_eq(st.guest_time, 0);
}
END_TEST

START_TEST(stat_garbage_is_einval)
{
    pb_proc_stat_t st;
    const char *bad[] = {
        "",
        "garbage",
        "12 (x S 1 2",                                              /* no ')' */
        "12 x) S 1",                                                /* no '(' */
        "0 (zero) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n", /* pid 0 */
        "12 (x) S 1 666 666 0 -1 0 12 0\n",                         /* truncated before rss */
        "12 (x) 7 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n",   /* state not a letter */
        "12 (x) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n",   /* ppid not a number */
        "12 (x) S 1 1 1 0 -1 0 0 0 0 0 -4 0 0 0 20 0 1 0 7 0 0\n",  /* negative utime */
        "12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 z 1 0 7 0 0\n",   /* nice not a number */
        "12(x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n",    /* no space after pid */
        "99999999999 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n", /* pid too big */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_proc_parse_stat(bad[i], &st) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(status_uid_and_context_switches)
{
    pb_proc_status_t s;
    const char *text = "Name:\tsleep\nUid:\t1000\t0\t0\t0\nThreads:\t1\n"
                       "voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
    ck_assert_int_eq(pb_proc_parse_status(text, &s), 0);
    ck_assert_uint_eq(s.uid, 1000); /* the real uid, not the effective one */
    ck_assert_uint_eq(s.vol_ctxsw, 12);
    ck_assert_uint_eq(s.invol_ctxsw, 3);
    ck_assert_int_eq(pb_proc_parse_status("Name:\tx\nUid:\tx\n", &s), -EINVAL);
    ck_assert_int_eq(pb_proc_parse_status("Name:\tx\n", &s), -EINVAL);
    ck_assert_int_eq(pb_proc_parse_status("Uid:\t0\t0\t0\t0\nvoluntary_ctxt_switches:\t1\n", &s),
                     -EINVAL);
    ck_assert_int_eq(pb_proc_parse_status("Uid:\t0\nvoluntary_ctxt_switches:\t1x\n"
                                          "nonvoluntary_ctxt_switches:\t1\n",
                                          &s),
                     -EINVAL);
    /* keys are looked for after the previous one first, then from the start */
    const char *shuffled = "nonvoluntary_ctxt_switches:\t7\nvoluntary_ctxt_switches:\t5\n"
                           "Uid:\t42\t0\t0\t0\n";
    ck_assert_int_eq(pb_proc_parse_status(shuffled, &s), 0);
    ck_assert_uint_eq(s.uid, 42);
    ck_assert_uint_eq(s.vol_ctxsw, 5);
    ck_assert_uint_eq(s.invol_ctxsw, 7);
}
END_TEST

START_TEST(io_counters)
{
    pb_proc_io_t io;
    const char *text = "rchar: 6976\nwchar: 10\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\n"
                       "write_bytes: 8192\ncancelled_write_bytes: 512\n";
    ck_assert_int_eq(pb_proc_parse_io(text, &io), 0);
    ck_assert_uint_eq(io.rchar, 6976);
    ck_assert_uint_eq(io.wchar, 10);
    ck_assert_uint_eq(io.read_bytes, 4096);
    ck_assert_uint_eq(io.write_bytes, 8192); /* not cancelled_write_bytes */
    ck_assert_int_eq(pb_proc_parse_io("rchar: 1\nwchar: 2\n", &io), -EINVAL);
    ck_assert_int_eq(pb_proc_parse_io("rchar: -1\nwchar: 2\nread_bytes: 0\nwrite_bytes: 0\n", &io),
                     -EINVAL);
}
END_TEST

START_TEST(cmdline_joins_arguments)
{
    char out[32];
    const char args[] = "sleep\0"
                        "100000\0";
    ck_assert_uint_eq(pb_proc_parse_cmdline(args, sizeof args - 1, out, sizeof out), 12);
    ck_assert_str_eq(out, "sleep 100000");
    ck_assert_uint_eq(pb_proc_parse_cmdline("", 0, out, sizeof out), 0); /* kernel thread */
    ck_assert_str_eq(out, "");
    const char empty_arg[] = "a\0\0b\0";
    pb_proc_parse_cmdline(empty_arg, sizeof empty_arg - 1, out, sizeof out);
    ck_assert_str_eq(out, "a  b");
    const char setproctitle[] = "nginx: worker process"; /* no NUL at the end */
    pb_proc_parse_cmdline(setproctitle, strlen(setproctitle), out, sizeof out);
    ck_assert_str_eq(out, "nginx: worker process");
    ck_assert_uint_eq(pb_proc_parse_cmdline(args, sizeof args - 1, out, 6), 5); /* truncated */
    ck_assert_str_eq(out, "sleep");
    ck_assert_uint_eq(pb_proc_parse_cmdline(args, sizeof args - 1, out, 0), 0);
}
END_TEST

START_TEST(schedstat_good_and_bad)
{
    pb_proc_sched_t s;
    ck_assert_int_eq(pb_proc_parse_schedstat("5347140 123456 42\n", &s), 0);
    ck_assert_uint_eq(s.run_ns, 5347140);
    ck_assert_uint_eq(s.runs, 42);
    ck_assert_int_eq(pb_proc_parse_schedstat("5347140 123456\n", &s), -EINVAL);
    ck_assert_int_eq(pb_proc_parse_schedstat("", &s), -EINVAL);
    ck_assert_int_eq(pb_proc_parse_schedstat("1 2 x3\n", &s), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_parse");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, stat_of_a_real_process);
    tcase_add_test(tc, stat_comm_may_hold_spaces_and_parentheses);
    tcase_add_test(tc, stat_of_an_old_kernel_without_guest_time);
    tcase_add_test(tc, stat_garbage_is_einval);
    tcase_add_test(tc, status_uid_and_context_switches);
    tcase_add_test(tc, io_counters);
    tcase_add_test(tc, cmdline_joins_arguments);
    tcase_add_test(tc, schedstat_good_and_bad);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
