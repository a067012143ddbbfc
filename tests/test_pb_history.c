/* Unit tests of pb_history: routing frames to series, windows, process expiry, limits. */
#include "pb_history.h"

#include "pb_codec.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

static pb_value_t *s_sys(const char *host, uint64_t seq, uint64_t ts, double busy)
{
    pb_value_t *f = pb_frame_new("sys", host, "src", seq, ts);
    pb_value_t *cpu = pb_value_map_new(), *total = pb_value_map_new();
    pb_value_map_put_float(total, "busy_pct", busy);
    pb_value_map_put(cpu, "total", &total);
    pb_value_map_put(f, "cpu", &cpu);
    pb_value_map_put_uint(f, "ctxt_total", 1000 + seq);
    return f;
}

static pb_value_t *s_proc(uint64_t pid, uint64_t ts, double cpu, bool gone)
{
    pb_value_t *f = pb_frame_new("proc", "h", "src", 0, ts);
    pb_value_map_put_uint(f, "pid", pid);
    pb_value_map_put_str(f, "comm", "worker");
    if (gone)
        pb_value_map_put_bool(f, "gone", true);
    else
        pb_value_map_put_float(f, "cpu_pct", cpu);
    return f;
}

/* Encodes f (consumed) and adds it as perfbus-sub does: bytes through a reader. */
static int s_add(pb_history_t *h, pb_value_t *f, uint64_t recv)
{
    char *buf = NULL, err[128];
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(f, &buf, &len), 0);
    pb_value_destroy(&f);
    pb_frame_reader_t *reader = pb_frame_reader_new();
    const pb_frame_view_t *view = NULL;
    ck_assert_int_eq(pb_frame_reader_read(reader, buf, len, &view, err, sizeof err), 0);
    int rc = pb_history_add(h, view, recv);
    pb_frame_reader_destroy(&reader);
    free(buf);
    return rc;
}

static pb_history_query_t s_query(int64_t pid)
{
    pb_history_query_t q = {.pid = pid, .to_ns = UINT64_MAX};
    return q;
}

START_TEST(system_history_and_summary)
{
    pb_history_config_t c = {.capacity = 5};
    pb_history_t *h = pb_history_new(&c);
    for (uint64_t i = 1; i <= 8; i++) /* 8 frames into 5 rows: wraps */
        ck_assert_int_eq(s_add(h, s_sys("h", i, i * SEC, (double)i * 10), i), 0);
    pb_history_query_t q = s_query(-1);
    pb_value_t *out = NULL;
    ck_assert_int_eq(pb_history_history(h, &q, &out), 0);
    const char *s = NULL;
    ck_assert_int_eq(pb_value_map_get_str(out, "series", &s), 0);
    ck_assert_str_eq(s, "sys.h");
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(out, "ts")), 5);
    pb_value_t *busy = pb_value_path(out, "fields");
    busy = pb_value_map_get(busy, "cpu.total.busy_pct");
    double d = 0;
    ck_assert_int_eq(pb_value_get_f64(pb_value_array_at(busy, 0), &d), 0);
    ck_assert_double_eq(d, 40);
    pb_value_destroy(&out);
    ck_assert_int_eq(pb_history_summary(h, &q, &out), 0);
    pb_value_t *sum = pb_value_map_get(pb_value_map_get(out, "summary"), "cpu.total.busy_pct");
    ck_assert_int_eq(pb_value_map_get_f64(sum, "mean", &d), 0);
    ck_assert_double_eq_tol(d, 60, 1e-9); /* 40..80 */
    ck_assert_int_eq(pb_value_map_get_f64(sum, "p95", &d), 0);
    ck_assert_double_eq_tol(d, 78, 1e-9); /* rank 3.8 of 40,50,60,70,80 */
    ck_assert_ptr_null(pb_value_map_get(pb_value_map_get(out, "summary"), "seq"));
    pb_value_destroy(&out);
    pb_history_destroy(&h);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(windows_last_and_from_to)
{
    pb_history_t *h = pb_history_new(NULL);
    for (uint64_t i = 1; i <= 10; i++)
        s_add(h, s_sys("h", i, i * SEC, (double)i), i);
    pb_history_query_t q = s_query(-1);
    q.last_s = 2.5; /* newest is 10 s: rows at 8, 9, 10 */
    pb_value_t *out = NULL;
    ck_assert_int_eq(pb_history_summary(h, &q, &out), 0);
    uint64_t n = 0, from = 0;
    ck_assert_int_eq(pb_value_map_get_u64(out, "samples", &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(pb_value_map_get_u64(out, "from_ns", &from), 0);
    ck_assert_uint_eq(from, 8 * SEC);
    pb_value_destroy(&out);
    q.last_s = 0;
    q.from_ns = 2 * SEC;
    q.to_ns = 4 * SEC;
    const char *only[] = {"cpu.total"};
    q.fields = only;
    q.nfields = 1;
    ck_assert_int_eq(pb_history_history(h, &q, &out), 0);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(out, "ts")), 3);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(out, "fields")), 1); /* prefix match */
    pb_value_destroy(&out);
    pb_history_destroy(&h);
}
END_TEST

START_TEST(hosts_and_unknown_series)
{
    pb_history_t *h = pb_history_new(NULL);
    pb_history_query_t q = s_query(-1);
    pb_value_t *out = NULL;
    ck_assert_int_eq(pb_history_history(h, &q, &out), -ENOENT);
    s_add(h, s_sys("a", 1, SEC, 1), 1);
    s_add(h, s_sys("b", 1, SEC, 2), 2); /* b heard from last: the default */
    ck_assert_int_eq(pb_history_summary(h, &q, &out), 0);
    const char *host = NULL;
    pb_value_map_get_str(out, "host", &host);
    ck_assert_str_eq(host, "b");
    pb_value_destroy(&out);
    q.host = "a";
    ck_assert_int_eq(pb_history_summary(h, &q, &out), 0);
    pb_value_destroy(&out);
    q.host = "zzz";
    ck_assert_int_eq(pb_history_summary(h, &q, &out), -ENOENT);
    q = s_query(4242);
    ck_assert_int_eq(pb_history_history(h, &q, &out), -ENOENT);
    pb_history_destroy(&h);
}
END_TEST

START_TEST(ignores_other_types_and_refuses_bad_proc)
{
    pb_history_t *h = pb_history_new(NULL);
    ck_assert_int_eq(s_add(h, pb_frame_new("hb", "h", "s", 0, 1), 1), 0);
    ck_assert_int_eq(s_add(h, pb_frame_new("proc", "h", "s", 0, 1), 1), -EINVAL); /* no pid */
    ck_assert_uint_eq(pb_history_nseries(h), 0);
    pb_history_destroy(&h);
}
END_TEST

START_TEST(processes_gone_and_expired)
{
    pb_history_config_t c = {.gone_ns = 10 * SEC, .idle_ns = 10 * SEC};
    pb_history_t *h = pb_history_new(&c);
    s_add(h, s_proc(10, SEC, 5, false), 1 * SEC);
    s_add(h, s_proc(10, 2 * SEC, 7, false), 2 * SEC);
    s_add(h, s_proc(11, 2 * SEC, 1, false), 2 * SEC);
    s_add(h, s_proc(11, 3 * SEC, 0, true), 3 * SEC); /* 11 exits */
    pb_history_query_t q = s_query(-1);
    pb_value_t *list = NULL;
    ck_assert_int_eq(pb_history_processes(h, &q, 0, &list), 0);
    ck_assert_uint_eq(pb_value_len(list), 2);
    bool gone = false;
    pb_value_get_bool(pb_value_map_get(pb_value_array_at(list, 1), "gone"), &gone);
    ck_assert(gone);
    pb_value_destroy(&list);
    ck_assert_int_eq(pb_history_processes(h, &q, 1, &list), 0);
    double mean = 0;
    pb_value_t *s = pb_value_path(pb_value_array_at(list, 0), "summary");
    ck_assert_int_eq(pb_value_map_get_f64(pb_value_map_get(s, "cpu_pct"), "mean", &mean), 0);
    ck_assert_double_eq_tol(mean, 6, 1e-9);
    pb_value_destroy(&list);
    ck_assert_uint_eq(pb_history_expire(h, 12 * SEC), 0);     /* 11 gone 9 s ago, 10 idle 10 s */
    ck_assert_uint_eq(pb_history_expire(h, 12 * SEC + 1), 1); /* 10: last frame at 2 s */
    ck_assert_uint_eq(pb_history_nseries(h), 1);
    ck_assert_uint_eq(pb_history_expire(h, 13 * SEC + 1), 1); /* 11: gone at 3 s */
    ck_assert_uint_eq(pb_history_nseries(h), 0);
    pb_history_destroy(&h);
}
END_TEST

START_TEST(process_table_limit)
{
    pb_history_config_t c = {.max_procs = 3, .capacity = 4};
    pb_history_t *h = pb_history_new(&c);
    for (uint64_t pid = 1; pid <= 3; pid++)
        ck_assert_int_eq(s_add(h, s_proc(pid, SEC, 1, false), 1), 0);
    ck_assert_int_eq(s_add(h, s_proc(4, SEC, 1, false), 1), -ENOSPC);
    ck_assert_int_eq(s_add(h, s_sys("h", 1, SEC, 1), 1), 0); /* sys still fits */
    ck_assert_uint_eq(pb_history_nseries(h), 4);
    ck_assert_uint_gt(pb_history_memory(h), 4 * 4 * sizeof(double));
    pb_history_destroy(&h);
}
END_TEST

START_TEST(history_seconds_age_limit)
{
    pb_history_config_t c = {.max_age_ns = 3 * SEC};
    pb_history_t *h = pb_history_new(&c);
    for (uint64_t i = 1; i <= 10; i++)
        s_add(h, s_sys("h", i, i * SEC, 1), i);
    pb_history_query_t q = s_query(-1);
    pb_value_t *out = NULL;
    ck_assert_int_eq(pb_history_history(h, &q, &out), 0);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(out, "ts")), 4); /* 7, 8, 9, 10 */
    pb_value_destroy(&out);
    pb_history_destroy(&h);
}
END_TEST

static size_t s_samples(pb_history_t *h, int64_t pid)
{
    pb_history_query_t q = s_query(pid);
    pb_value_t *out = NULL;
    if (pb_history_history(h, &q, &out) < 0)
        return (size_t)-1;
    size_t n = pb_value_len(pb_value_map_get(out, "ts"));
    pb_value_destroy(&out);
    return n;
}

/* A full table of 3: pid 2's gone frame keeps its history queryable, but pid
 * 4 takes its slot at once rather than being refused for gone-seconds. */
START_TEST(gone_frees_the_slot_for_a_new_process)
{
    pb_history_config_t c = {.max_procs = 3, .gone_ns = 300 * SEC};
    pb_history_t *h = pb_history_new(&c);
    for (uint64_t pid = 1; pid <= 3; pid++)
        ck_assert_int_eq(s_add(h, s_proc(pid, SEC, 1, false), SEC), 0);
    ck_assert_int_eq(s_add(h, s_proc(2, 2 * SEC, 0, true), 2 * SEC), 0);
    ck_assert_uint_eq(s_samples(h, 2), 1); /* just exited: still there */
    ck_assert_int_eq(s_add(h, s_proc(4, 3 * SEC, 1, false), 3 * SEC), 0);
    ck_assert_uint_eq(s_samples(h, 2), (size_t)-1);
    ck_assert_uint_eq(s_samples(h, 4), 1);
    ck_assert_uint_eq(pb_history_nseries(h), 3);
    ck_assert_int_eq(s_add(h, s_proc(5, 3 * SEC, 1, false), 3 * SEC), -ENOSPC); /* all live */
    pb_history_destroy(&h);
}
END_TEST

/* A series silent for more than gone-seconds (no gone frame: lost, or no
 * longer watched) yields its slot too; one silent for less does not. */
START_TEST(silent_series_yield_after_the_grace)
{
    pb_history_config_t c = {.max_procs = 2, .gone_ns = 10 * SEC};
    pb_history_t *h = pb_history_new(&c);
    ck_assert_int_eq(s_add(h, s_proc(1, SEC, 1, false), SEC), 0);
    ck_assert_int_eq(s_add(h, s_proc(2, SEC, 1, false), 5 * SEC), 0);
    ck_assert_int_eq(s_add(h, s_proc(3, SEC, 1, false), 11 * SEC), -ENOSPC);
    ck_assert_int_eq(s_add(h, s_proc(3, SEC, 1, false), 12 * SEC), 0); /* 1 silent 11 s */
    ck_assert_uint_eq(s_samples(h, 1), (size_t)-1);
    ck_assert_uint_eq(s_samples(h, 2), 1);
    ck_assert_uint_eq(pb_history_expire(h, 304 * SEC), 0);
    ck_assert_uint_eq(pb_history_expire(h, 306 * SEC), 1); /* idle default: 300 s */
    pb_history_destroy(&h);
}
END_TEST

/* A pid reused after its gone frame is a new process: its frames are kept. */
START_TEST(reused_pid_starts_a_new_series)
{
    pb_history_t *h = pb_history_new(NULL);
    s_add(h, s_proc(7, SEC, 1, false), SEC);
    s_add(h, s_proc(7, 2 * SEC, 2, false), 2 * SEC);
    s_add(h, s_proc(7, 3 * SEC, 0, true), 3 * SEC);
    ck_assert_uint_eq(s_samples(h, 7), 2);
    ck_assert_int_eq(s_add(h, s_proc(7, 4 * SEC, 9, false), 4 * SEC), 0);
    ck_assert_uint_eq(s_samples(h, 7), 1);
    pb_history_query_t q = s_query(7);
    pb_value_t *list = NULL;
    ck_assert_int_eq(pb_history_processes(h, &q, 0, &list), 0);
    bool gone = true;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(pb_value_array_at(list, 0), "gone"), &gone),
                     0);
    ck_assert(!gone);
    pb_value_destroy(&list);
    pb_history_destroy(&h);
}
END_TEST

static uint64_t s_told[8];
static size_t s_ntold;

static void s_full(size_t max_procs, uint64_t dropped, void *arg)
{
    ck_assert_uint_eq(max_procs, 1);
    ck_assert_ptr_eq(arg, &s_ntold);
    if (s_ntold < 8)
        s_told[s_ntold] = dropped;
    s_ntold++;
}

/* Refusals are told at once, then at most once a minute with the count since
 * the last report; expire tells what is left once the minute has passed. */
START_TEST(full_table_is_told_once_a_minute)
{
    pb_history_config_t c = {.max_procs = 1};
    pb_history_t *h = pb_history_new(&c);
    s_ntold = 0;
    pb_history_set_full_fn(h, s_full, &s_ntold);
    ck_assert_int_eq(s_add(h, s_proc(1, SEC, 1, false), SEC), 0);
    for (uint64_t t = 1; t <= 60; t++) { /* pid 1 stays live */
        ck_assert_int_eq(s_add(h, s_proc(1000 + t, SEC, 1, false), t * SEC), -ENOSPC);
        s_add(h, s_proc(1, t * SEC, 1, false), t * SEC);
    }
    ck_assert_uint_eq(s_ntold, 1);
    ck_assert_uint_eq(s_told[0], 1);
    ck_assert_int_eq(s_add(h, s_proc(2000, SEC, 1, false), 61 * SEC), -ENOSPC);
    ck_assert_uint_eq(s_ntold, 2);
    ck_assert_uint_eq(s_told[1], 60); /* 59 within the minute + this one */
    ck_assert_int_eq(s_add(h, s_proc(2001, SEC, 1, false), 62 * SEC), -ENOSPC);
    pb_history_expire(h, 100 * SEC);
    ck_assert_uint_eq(s_ntold, 2);
    pb_history_expire(h, 121 * SEC);
    ck_assert_uint_eq(s_ntold, 3);
    ck_assert_uint_eq(s_told[2], 1);
    pb_history_expire(h, 300 * SEC); /* nothing untold: silent */
    ck_assert_uint_eq(s_ntold, 3);
    pb_history_destroy(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_history");
    TCase *tc = tcase_create("history");
    tcase_add_test(tc, system_history_and_summary);
    tcase_add_test(tc, windows_last_and_from_to);
    tcase_add_test(tc, hosts_and_unknown_series);
    tcase_add_test(tc, ignores_other_types_and_refuses_bad_proc);
    tcase_add_test(tc, processes_gone_and_expired);
    tcase_add_test(tc, process_table_limit);
    tcase_add_test(tc, history_seconds_age_limit);
    tcase_add_test(tc, gone_frees_the_slot_for_a_new_process);
    tcase_add_test(tc, silent_series_yield_after_the_grace);
    tcase_add_test(tc, reused_pid_starts_a_new_series);
    tcase_add_test(tc, full_table_is_told_once_a_minute);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
