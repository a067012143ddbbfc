/* Check suite for pb_sys_disk: /proc/diskstats lines and which devices are whole and counted. */
#include "pb_sys_disk.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#define T0 PB_FIXTURES "/proc-t0"

START_TEST(parses_a_real_line)
{
    pb_sys_disk_t d;
    const char *line = " 254       0 vda 30763 7844 2225890 7705 25658 8788 985672 7107 0 7356 "
                       "15834 5404 5 164696 638 1772 383\n";
    ck_assert_int_eq(pb_sys_disk_parse_line(line, &d), 0);
    ck_assert_str_eq(d.name, "vda");
    ck_assert_uint_eq(d.counters[PB_DISK_READS], 30763);
    ck_assert_uint_eq(d.counters[PB_DISK_WRITES], 25658);
    ck_assert_uint_eq(d.counters[PB_DISK_READ_BYTES], 2225890ull * 512);
    ck_assert_uint_eq(d.counters[PB_DISK_WRITE_BYTES], 985672ull * 512);
    ck_assert_uint_eq(d.counters[PB_DISK_IO_MS], 7356);
    /* kernels before 4.18 stop after 14 columns */
    ck_assert_int_eq(pb_sys_disk_parse_line("8 0 sda 10 0 80 5 20 0 160 10 0 15 15", &d), 0);
    ck_assert_uint_eq(d.counters[PB_DISK_IO_MS], 15);
}
END_TEST

START_TEST(garbage_is_einval)
{
    pb_sys_disk_t d;
    const char *bad[] = {
        "",
        "   8 0 sda 1 2\n", /* too few columns (a 2.6 partition line) */
        "   8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n",
        "   x 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
        "   8 0 a-name-that-is-far-too-long-for-a-disk 1 2 3 4 5 6 7 8 9 10 11\n",
        "   8 0 sda 1 2 36028797018963968 4 5 6 7 8 9 10 11\n", /* sectors * 512 overflow */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_disk_parse_line(bad[i], &d) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(whole_disks_and_the_total)
{
    ck_assert(pb_sys_disk_is_whole(T0, "sda"));
    ck_assert(!pb_sys_disk_is_whole(T0, "sda1")); /* a partition */
    ck_assert(pb_sys_disk_is_whole(T0, "dm-0"));
    ck_assert(!pb_sys_disk_is_whole(T0, "nvme0n1"));
    ck_assert(pb_sys_disk_is_counted(T0, "sda"));
    ck_assert(pb_sys_disk_is_counted(T0, "vda"));
    ck_assert(!pb_sys_disk_is_counted(T0, "dm-0")); /* stacked on sda2 */
    ck_assert(!pb_sys_disk_is_counted(T0, "loop0"));
    ck_assert(!pb_sys_disk_is_counted(T0, "zram0"));
    ck_assert(!pb_sys_disk_is_counted(T0, "ram0"));
    ck_assert(!pb_sys_disk_is_whole("", "no-such-disk"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_disk");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_a_real_line);
    tcase_add_test(tc, garbage_is_einval);
    tcase_add_test(tc, whole_disks_and_the_total);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
