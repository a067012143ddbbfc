/* Check suite for pb_sys_disk: /proc/diskstats lines and which devices are whole and counted. */
#include "pb_sys_disk.h"

#include "pb_sys_sampler.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A writable copy of t0, whose diskstats and /sys/block a test edits. */
static void s_copy_t0(char *dir)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -r %s/. %s/", T0, dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_sh(const char *dir, const char *script)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s", dir, script);
    ck_assert_msg(system(cmd) == 0, "failed: %s", script);
}

/* One sample's disk.total.reads_total, and how many devices it lists. */
static uint64_t s_total_reads(pb_sys_sampler_t *sys, uint64_t mono_ns, size_t *ndevs)
{
    char err[256];
    pb_value_t *body = NULL;
    ck_assert_msg(pb_sys_sampler_sample(sys, mono_ns, &body, err, sizeof err) == 0, "%s", err);
    uint64_t reads = 0;
    ck_assert_int_eq(pb_value_get_u64(pb_value_path(body, "disk.total.reads_total"), &reads), 0);
    *ndevs = pb_value_len(pb_value_path(body, "disk.devices"));
    pb_value_destroy(&body);
    return reads;
}

/* /sys/block is read when a device appears, not each sample: a slaves entry
 * added under a known disk changes nothing until the disk comes back under
 * another number, or leaves diskstats and returns. */
START_TEST(sys_block_is_read_once_per_device)
{
    char dir[] = "/tmp/pb_disk_XXXXXX";
    s_copy_t0(dir);
    pb_sys_sampler_t *sys = pb_sys_sampler_new(dir);
    size_t n;
    ck_assert_uint_eq(s_total_reads(sys, 1000000000ull, &n), 1000 + 30763);
    ck_assert_uint_eq(n, 4); /* sda dm-0 vda loop0 */
    s_sh(dir, "mkdir sys/block/sda/slaves sys/block/vda/slaves && touch sys/block/sda/slaves/x "
              "sys/block/vda/slaves/x");
    ck_assert_uint_eq(s_total_reads(sys, 2000000000ull, &n), 1000 + 30763);
    /* sda re-added as 8:16: looked up again, now stacked */
    s_sh(dir, "sed -i 's/^ *8 *0 sda /   8      16 sda /' proc/diskstats");
    ck_assert_uint_eq(s_total_reads(sys, 3000000000ull, &n), 30763);
    /* a new disk appears: looked up, counted */
    s_sh(dir, "mkdir sys/block/sdb && echo '   8 32 sdb 7 0 8 1 3 0 8 1 0 2 2' >> proc/diskstats");
    ck_assert_uint_eq(s_total_reads(sys, 4000000000ull, &n), 30763 + 7);
    ck_assert_uint_eq(n, 5);
    /* vda leaves diskstats and returns under the same number: looked up again */
    s_sh(dir,
         "grep -v ' vda ' proc/diskstats > d && cp proc/diskstats d.full && mv d proc/diskstats");
    ck_assert_uint_eq(s_total_reads(sys, 5000000000ull, &n), 7);
    s_sh(dir, "mv d.full proc/diskstats");
    ck_assert_uint_eq(s_total_reads(sys, 6000000000ull, &n), 7);
    ck_assert_uint_eq(n, 5);
    pb_sys_sampler_destroy(&sys);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_disk");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_a_real_line);
    tcase_add_test(tc, garbage_is_einval);
    tcase_add_test(tc, whole_disks_and_the_total);
    tcase_add_test(tc, sys_block_is_read_once_per_device);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
