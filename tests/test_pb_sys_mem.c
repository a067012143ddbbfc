/* Check suite for pb_sys_mem: /proc/meminfo with free(1)'s definitions. */
#include "pb_sys_mem.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#define KB 1024ull

START_TEST(parses_the_fields_free_uses)
{
    pb_sys_mem_t m;
    const char *text = "MemTotal:       24683620 kB\nMemFree:        24462896 kB\n"
                       "MemAvailable:   24401628 kB\nBuffers:            3296 kB\n"
                       "Cached:            38912 kB\nSwapCached:            7 kB\n"
                       "Shmem:              8884 kB\nSReclaimable:      88152 kB\n"
                       "SwapTotal:       1048576 kB\nSwapFree:        1000000 kB\n"
                       "HugePages_Total:       0\n";
    ck_assert_int_eq(pb_sys_mem_parse(text, &m), 0);
    ck_assert_uint_eq(m.total, 24683620 * KB);
    ck_assert_uint_eq(m.free, 24462896 * KB);
    ck_assert_uint_eq(m.available, 24401628 * KB);
    ck_assert_uint_eq(m.buffers, 3296 * KB);
    ck_assert_uint_eq(m.cached, 38912 * KB); /* not SwapCached */
    ck_assert_uint_eq(m.sreclaimable, 88152 * KB);
    ck_assert_uint_eq(m.shmem, 8884 * KB);
    ck_assert_uint_eq(m.swap_total, 1048576 * KB);
    ck_assert_uint_eq(m.swap_free, 1000000 * KB);
    ck_assert_uint_eq(pb_sys_mem_used(&m), (24683620 - 24401628) * KB);
}
END_TEST

START_TEST(parses_node_exporters_lines_and_notes_which_came)
{
    pb_sys_mem_t m;
    const char *text = "MemTotal: 1000 kB\nMemFree: 300 kB\nCached: 40 kB\nSwapCached: 7 kB\n"
                       "SwapTotal: 0 kB\nSwapFree: 0 kB\nSlab: 90 kB\nSReclaimable: 60 kB\n"
                       "PageTables: 12 kB\nHardwareCorrupted: 4 kB\nHugePages_Total: 0\n";
    ck_assert_int_eq(pb_sys_mem_parse(text, &m), 0);
    ck_assert_uint_eq(m.cached, 40 * KB);
    ck_assert_uint_eq(m.swap_cached, 7 * KB);
    ck_assert_uint_eq(m.slab, 90 * KB);
    ck_assert_uint_eq(m.sreclaimable, 60 * KB);
    ck_assert_uint_eq(m.page_tables, 12 * KB);
    ck_assert_uint_eq(m.hw_corrupted, 4 * KB);
    unsigned all = PB_SYS_MEM_HAS_CACHED | PB_SYS_MEM_HAS_SWAP_CACHED | PB_SYS_MEM_HAS_SLAB |
                   PB_SYS_MEM_HAS_SRECLAIMABLE | PB_SYS_MEM_HAS_PAGE_TABLES |
                   PB_SYS_MEM_HAS_HW_CORRUPTED;
    ck_assert_uint_eq(m.seen & all, all);
    /* a kernel without CONFIG_MEMORY_FAILURE has no HardwareCorrupted line */
    ck_assert_int_eq(pb_sys_mem_parse("MemTotal: 1000 kB\nMemFree: 300 kB\nSlab: 9 kB\n", &m), 0);
    ck_assert_uint_eq(m.seen & all, PB_SYS_MEM_HAS_SLAB);
    ck_assert_int_eq(pb_sys_mem_parse("MemTotal: 10 kB\nMemFree: 1 kB\nPageTables: 1 MB\n", &m),
                     -EINVAL);
}
END_TEST

START_TEST(available_falls_back_to_free)
{
    pb_sys_mem_t m;
    /* before Linux 3.14 */
    ck_assert_int_eq(pb_sys_mem_parse("MemTotal: 1000 kB\nMemFree: 300 kB\n", &m), 0);
    ck_assert_uint_eq(m.available, 300 * KB);
    ck_assert_uint_eq(pb_sys_mem_used(&m), 700 * KB);
    /* a container showing the host's MemAvailable */
    ck_assert_int_eq(
        pb_sys_mem_parse("MemTotal: 1000 kB\nMemFree: 400 kB\nMemAvailable: 9000 kB\n", &m), 0);
    ck_assert_uint_eq(m.available, 400 * KB);
}
END_TEST

/* Found by fuzz_sys_parse: MemFree above MemTotal made available (its fallback) exceed the
 * total, so a frame said more memory was available than the machine has. */
START_TEST(free_above_total_is_clamped)
{
    pb_sys_mem_t m;
    ck_assert_int_eq(pb_sys_mem_parse("MemTotal: 1000 kB\nMemFree: 4000 kB\n", &m), 0);
    ck_assert_uint_eq(m.free, 1000 * KB);
    ck_assert_uint_eq(m.available, 1000 * KB);
    ck_assert_uint_eq(pb_sys_mem_used(&m), 0);
    ck_assert_int_eq(
        pb_sys_mem_parse("MemTotal: 1000 kB\nMemFree: 4000 kB\nMemAvailable: 9000 kB\n", &m), 0);
    ck_assert_uint_le(m.available, m.total);
}
END_TEST

START_TEST(garbage_is_einval)
{
    pb_sys_mem_t m;
    const char *bad[] = {
        "",
        "MemTotal: 12\n",                   /* no unit, no MemFree */
        "MemFree: 1 kB\n",                  /* no MemTotal */
        "MemTotal: 0 kB\nMemFree: 0 kB\n",  /* zero total */
        "MemTotal: x kB\nMemFree: 1 kB\n",  /* not a number */
        "MemTotal: 10 kB\nMemFree: 1 MB\n", /* unknown unit */
        "MemTotal: 10 kB\nMemFree: 1 kB\nCached: -1 kB\n",
        "MemTotal: 99999999999999999999 kB\nMemFree: 1 kB\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_mem_parse(bad[i], &m) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_mem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_the_fields_free_uses);
    tcase_add_test(tc, parses_node_exporters_lines_and_notes_which_came);
    tcase_add_test(tc, available_falls_back_to_free);
    tcase_add_test(tc, free_above_total_is_clamped);
    tcase_add_test(tc, garbage_is_einval);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
