/* test_pb_detail: /proc parsers, and resource usage of in-process and child runs. */
#include "pb_detail.h"

#include <check.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

START_TEST(parse_status)
{
    const char *text = "Name:\tdemo\nVmPeak:\t  9000 kB\nVmHWM:\t  4096 kB\nVmRSS:\t  2048 kB\n";
    uint64_t rss = 0, hwm = 0;
    ck_assert_int_eq(pb_detail_parse_status(text, &rss, &hwm), 0);
    ck_assert_uint_eq(rss, 2048 * 1024);
    ck_assert_uint_eq(hwm, 4096 * 1024);
    /* a kernel thread or zombie has no Vm lines */
    ck_assert_int_eq(pb_detail_parse_status("Name:\tkworker\nState:\tI\n", &rss, &hwm), -EINVAL);
    ck_assert_int_eq(pb_detail_parse_status("VmRSS:\tlots kB\nVmHWM:\t1 kB\n", &rss, &hwm),
                     -EINVAL);
    /* a key must start its line: "XVmRSS" is not VmRSS */
    ck_assert_int_eq(pb_detail_parse_status("XVmRSS:\t1 kB\nVmHWM:\t1 kB\n", &rss, &hwm), -EINVAL);
}
END_TEST

START_TEST(parse_io)
{
    const char *text = "rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\n"
                       "write_bytes: 8192\ncancelled_write_bytes: 0\n";
    pb_detail_io_t io;
    ck_assert_int_eq(pb_detail_parse_io(text, &io), 0);
    ck_assert_uint_eq(io.rchar, 10);
    ck_assert_uint_eq(io.wchar, 20);
    ck_assert_uint_eq(io.read_bytes, 4096);
    ck_assert_uint_eq(io.write_bytes, 8192);
    ck_assert_int_eq(pb_detail_parse_io("rchar: 10\nwchar: 20\n", &io), -EINVAL);
    ck_assert_int_eq(pb_detail_parse_io("", &io), -EINVAL);
}
END_TEST

START_TEST(thread_run_sees_allocation)
{
    pb_detail_t *d = pb_detail_new(0.005);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(pb_detail_thread_begin(d), 0);
    size_t size = 48u << 20;
    char *block = malloc(size);
    memset(block, 1, size);
    __asm__ volatile("" : : "r"(block) : "memory");
    usleep(30000);
    free(block);
    pb_detail_run_t run;
    ck_assert_int_eq(pb_detail_thread_end(d, &run), 0);
    ck_assert(run.rss_peak >= run.rss_before + (40u << 20));
    ck_assert(run.minflt >= 10000);
    ck_assert(run.wall_s >= 0.03);
    ck_assert(run.user_s + run.sys_s > 0);
    pb_value_t *series = pb_detail_series(d);
    ck_assert_uint_ge(pb_value_len(series), 2);
    pb_value_destroy(&series);
    pb_value_t *v = pb_detail_run_value(&run);
    uint64_t peak = 0;
    ck_assert_int_eq(pb_value_map_get_u64(v, "rss_peak_bytes", &peak), 0);
    ck_assert_uint_eq(peak, run.rss_peak);
    pb_value_destroy(&v);
    pb_detail_destroy(&d);
    ck_assert_ptr_null(d);
    pb_detail_destroy(NULL);
}
END_TEST

START_TEST(child_run_is_measured_from_outside)
{
    char dir[] = "/tmp/pbdetail-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char script[256];
    snprintf(script, sizeof script,
             "exec dd if=/dev/zero of=%s/out bs=64k count=32 conv=fsync status=none", dir);
    char *argv[] = {"sh", "-c", script, NULL};
    pb_detail_t *d = pb_detail_new(0.005);
    pid_t pid;
    ck_assert_int_eq(posix_spawnp(&pid, "sh", NULL, NULL, argv, environ), 0);
    ck_assert_int_eq(pb_detail_child_begin(d, pid), 0);
    siginfo_t info;
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
    int status = -1;
    pb_detail_run_t run;
    ck_assert_int_eq(pb_detail_child_end(d, pid, &status, &run), 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_ge(run.io.write_bytes, 2u << 20);
    ck_assert_uint_ge(run.io.wchar, 2u << 20);
    ck_assert_uint_eq(run.rss_after, 0);
    ck_assert_uint_gt(run.rss_peak, 0);
    pb_detail_destroy(&d);
    snprintf(script, sizeof script, "rm -rf %s", dir);
    ck_assert_int_eq(system(script), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_detail");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse_status);
    tcase_add_test(tc, parse_io);
    tcase_add_test(tc, thread_run_sees_allocation);
    tcase_add_test(tc, child_run_is_measured_from_outside);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
