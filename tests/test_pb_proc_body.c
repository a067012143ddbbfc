/* Check suite for pb_proc_body: pidstat rates between two readings and the proc body keys. */
#include "pb_proc_body.h"

#include "pb_test_catalogued.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pb_proc_reading_t reading(uint64_t utime, uint64_t guest, uint64_t stime, uint64_t rchar)
{
    pb_proc_reading_t r;
    memset(&r, 0, sizeof r);
    r.stat.pid = 42;
    r.stat.ppid = 1;
    strcpy(r.stat.comm, "worker");
    r.stat.state = 'R';
    r.stat.threads = 2;
    r.stat.utime = utime;
    r.stat.guest_time = guest;
    r.stat.stime = stime;
    r.stat.minflt = utime * 10;
    r.stat.rss_pages = 100;
    r.status.vol_ctxsw = stime;
    r.has_io = true;
    r.io.rchar = rchar;
    return r;
}

START_TEST(rates_are_pidstat_percent_of_one_core)
{
    double hz = (double)sysconf(_SC_CLK_TCK);
    pb_proc_reading_t a = reading(100, 10, 50, 1000);
    pb_proc_reading_t b = reading(100 + 2 * hz, 10 + hz / 2, 50 + hz / 4, 9000);
    pb_proc_rates_t r;
    ck_assert(pb_proc_body_rates(&a, &b, 2.0, &r));
    ck_assert_double_eq_tol(r.cpu_user_pct, 75.0, 1e-9); /* (2 - 0.5 guest) s over 2 s */
    ck_assert_double_eq_tol(r.cpu_system_pct, 12.5, 1e-9);
    ck_assert_double_eq_tol(r.rchar_per_s, 4000.0, 1e-9);
    ck_assert_double_eq_tol(r.minflt_per_s, 10 * hz, 1e-9);
    ck_assert(r.has_io);
    ck_assert_uint_eq(pb_proc_body_user_ticks(&a.stat), 90);
}
END_TEST

START_TEST(backwards_or_no_interval_is_a_first)
{
    pb_proc_reading_t a = reading(100, 0, 50, 1000);
    pb_proc_reading_t b = reading(90, 0, 50, 1000);
    pb_proc_rates_t r;
    ck_assert(!pb_proc_body_rates(&a, &b, 1.0, &r));
    b = reading(100, 0, 50, 999);
    ck_assert(!pb_proc_body_rates(&a, &b, 1.0, &r));
    ck_assert(!pb_proc_body_rates(&a, &a, 0.0, &r));
    b = reading(100, 0, 50, 0);
    b.has_io = false; /* io became unreadable: rates without io */
    ck_assert(pb_proc_body_rates(&a, &b, 1.0, &r));
    ck_assert(!r.has_io);
}
END_TEST

START_TEST(first_body_has_no_rate_keys)
{
    pb_proc_reading_t a = reading(100, 0, 50, 1000);
    pb_proc_body_args_t args = {.reading = &a, .cmdline = "worker --x", .mem_total = 4096 * 1000};
    pb_value_t *b = pb_proc_body_new(&args);
    ck_assert_ptr_nonnull(b);
    const char *absent[] = {"cpu_pct",
                            "cpu_user_pct",
                            "cpu_system_pct",
                            "minflt_per_s",
                            "majflt_per_s",
                            "rchar_per_s",
                            "vol_ctxsw_per_s",
                            "fds",
                            "cpu_pct_since_start",
                            "gone"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(pb_value_map_get(b, absent[i]) == NULL, "%s present", absent[i]);
    bool first = false;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(b, "first"), &first), 0);
    ck_assert(first);
    const char *s = NULL;
    ck_assert_int_eq(pb_value_map_get_str(b, "cmdline", &s), 0);
    ck_assert_str_eq(s, "worker --x");
    ck_assert_int_eq(pb_value_map_get_str(b, "state", &s), 0);
    ck_assert_str_eq(s, "R");
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(b, "rchar_total", &u), 0);
    ck_assert_uint_eq(u, 1000);
    double pct = 0;
    ck_assert_int_eq(pb_value_map_get_f64(b, "mem_pct", &pct), 0);
    ck_assert_double_eq_tol(pct, 100.0 * 100 * sysconf(_SC_PAGESIZE) / (4096.0 * 1000), 1e-9);
    pb_value_destroy(&b);
}
END_TEST

START_TEST(later_body_has_every_rate)
{
    pb_proc_reading_t a = reading(100, 0, 50, 1000);
    pb_proc_reading_t b = reading(200, 0, 60, 2000);
    b.has_fds = true;
    b.fds = 9;
    pb_proc_rates_t r;
    ck_assert(pb_proc_body_rates(&a, &b, 1.0, &r));
    pb_proc_body_args_t args = {.reading = &b, .rates = &r, .interval_s = 1.0};
    pb_value_t *body = pb_proc_body_new(&args);
    const char *present[] = {
        "cpu_pct",      "cpu_user_pct",     "cpu_system_pct",    "minflt_per_s",
        "majflt_per_s", "read_bytes_per_s", "write_bytes_per_s", "rchar_per_s",
        "wchar_per_s",  "vol_ctxsw_per_s",  "invol_ctxsw_per_s", "fds",
        "cmdline"};
    for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
        ck_assert_msg(pb_value_map_get(body, present[i]) != NULL, "%s absent", present[i]);
    double mem = -1;
    ck_assert_int_eq(pb_value_map_get_f64(body, "mem_pct", &mem), 0);
    ck_assert_double_eq(mem, 0.0); /* MemTotal unknown */
    ck_assert_uint_ge(pb_test_catalogued(PB_FT_PROC, NULL, body), 35);
    pb_value_destroy(&body);
}
END_TEST

START_TEST(gone_body)
{
    pb_value_t *g = pb_proc_body_gone(42, "worker");
    ck_assert_uint_eq(pb_value_len(g), 3);
    uint64_t pid = 0;
    ck_assert_int_eq(pb_value_map_get_u64(g, "pid", &pid), 0);
    ck_assert_uint_eq(pid, 42);
    const char *comm = NULL;
    ck_assert_int_eq(pb_value_map_get_str(g, "comm", &comm), 0);
    ck_assert_str_eq(comm, "worker");
    pb_value_destroy(&g);
}
END_TEST

/* The bytes of a bin or str value, compared with expected. */
static void s_assert_bytes(const pb_value_t *v, pb_type_t type, const char *expected)
{
    const void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(pb_value_type(v), type);
    ck_assert_int_eq(pb_value_get_bytes(v, &data, &len), 0);
    ck_assert_uint_eq(len, strlen(expected));
    ck_assert(memcmp(data, expected, len) == 0);
}

START_TEST(comm_cut_in_a_character_is_utf8_with_comm_raw)
{
    /* 13 ASCII bytes and the first two of the three of U+20AC: the kernel's cut at 15 */
    const char *cut = "abcdefghijklm\xe2\x82";
    pb_proc_reading_t a = reading(100, 0, 50, 1000);
    strcpy(a.stat.comm, cut);
    pb_proc_body_args_t args = {.reading = &a, .cmdline = "x"};
    pb_value_t *b = pb_proc_body_new(&args);
    s_assert_bytes(pb_value_map_get(b, "comm"), PB_STR, "abcdefghijklm\xef\xbf\xbd");
    s_assert_bytes(pb_value_map_get(b, "comm_raw"), PB_BIN, cut);
    pb_test_catalogued(PB_FT_PROC, NULL, b);
    pb_value_destroy(&b);
    pb_value_t *g = pb_proc_body_gone(42, "\xff\xfe");
    s_assert_bytes(pb_value_map_get(g, "comm"), PB_STR, "\xef\xbf\xbd\xef\xbf\xbd");
    s_assert_bytes(pb_value_map_get(g, "comm_raw"), PB_BIN, "\xff\xfe");
    ck_assert_uint_eq(pb_test_catalogued(PB_FT_PROC, NULL, g), 4);
    pb_value_destroy(&g);
}
END_TEST

START_TEST(valid_comm_has_no_comm_raw)
{
    pb_proc_reading_t a = reading(100, 0, 50, 1000);
    strcpy(a.stat.comm, "caf\xc3\xa9 (x)\n\x1b"); /* odd but valid UTF-8: sent as it is */
    pb_proc_body_args_t args = {.reading = &a};
    pb_value_t *b = pb_proc_body_new(&args);
    s_assert_bytes(pb_value_map_get(b, "comm"), PB_STR, "caf\xc3\xa9 (x)\n\x1b");
    ck_assert_ptr_null(pb_value_map_get(b, "comm_raw"));
    pb_value_destroy(&b);
    pb_value_t *g = pb_proc_body_gone(42, "worker");
    ck_assert_ptr_null(pb_value_map_get(g, "comm_raw"));
    pb_value_destroy(&g);
}
END_TEST

/* Over a short interval whole ticks read high: the sum is cut to the cap in
 * proportion. A user-only share whose scaled value rounds an ulp above the cap
 * once looped forever (the system share cannot go below zero). */
START_TEST(cpu_clamp_keeps_the_sum_at_most_the_cap)
{
    pb_proc_rates_t r = {.cpu_user_pct = 200, .cpu_system_pct = 100};
    ck_assert(pb_proc_body_clamp_cpu(&r, 100));
    ck_assert_double_eq_tol(r.cpu_user_pct, 200.0 / 3, 1e-9);
    ck_assert_double_le(r.cpu_user_pct + r.cpu_system_pct, 100);
    for (int i = 701; i < 20000; i++) { /* 130.43 % and others round above */
        r = (pb_proc_rates_t){.cpu_user_pct = i / 7.0};
        pb_proc_body_clamp_cpu(&r, 100);
        ck_assert_double_le(r.cpu_user_pct + r.cpu_system_pct, 100);
        ck_assert_double_ge(r.cpu_system_pct, 0);
    }
    r = (pb_proc_rates_t){.cpu_user_pct = 40, .cpu_system_pct = 20};
    ck_assert(!pb_proc_body_clamp_cpu(&r, 100));
    ck_assert_double_eq(r.cpu_user_pct, 40);
    ck_assert_double_eq(r.cpu_system_pct, 20);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_body");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rates_are_pidstat_percent_of_one_core);
    tcase_add_test(tc, backwards_or_no_interval_is_a_first);
    tcase_add_test(tc, first_body_has_no_rate_keys);
    tcase_add_test(tc, later_body_has_every_rate);
    tcase_add_test(tc, gone_body);
    tcase_add_test(tc, comm_cut_in_a_character_is_utf8_with_comm_raw);
    tcase_add_test(tc, valid_comm_has_no_comm_raw);
    tcase_add_test(tc, cpu_clamp_keeps_the_sum_at_most_the_cap);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
