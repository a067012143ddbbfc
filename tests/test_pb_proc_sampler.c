/* Check suite for pb_proc_sampler: selection, rates, gone frames on fixture snapshots and the real
 * /proc. */
#include "pb_proc_sampler.h"

#include "pb_json.h"
#include "pb_procfs.h"

#include "pb_test_swap.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 PB_FIXTURES "/proc-t0"
#define T1 PB_FIXTURES "/proc-t1"
/* Four CPUs; one (1 thread), wide (8) and calm (2) use 3, 10 and 1 ticks. */
#define TICK0 PB_FIXTURES "/proc-tick0"
#define TICK1 PB_FIXTURES "/proc-tick1"
#define SEC   1000000000ull

/* What one scan emitted, in order. */
typedef struct {
    pb_value_t *bodies; /* array of maps */
    int fail_with;      /* emit returns this when non-zero */
} s_sink_t;

static int collect(void *arg, uint32_t pid, pb_value_t **body_p)
{
    s_sink_t *sink = arg;
    uint64_t body_pid = 0;
    ck_assert_int_eq(pb_value_map_get_u64(*body_p, "pid", &body_pid), 0);
    ck_assert_uint_eq(body_pid, pid);
    ck_assert_int_eq(pb_value_array_push(sink->bodies, body_p), 0);
    return sink->fail_with;
}

/* Runs one scan and returns what it emitted (the caller frees it). */
static pb_value_t *scan(pb_proc_sampler_t *p, uint64_t mono_ns)
{
    s_sink_t sink = {pb_value_array_new(), 0};
    ck_assert_int_eq(pb_proc_sampler_scan(p, mono_ns, collect, &sink), 0);
    return sink.bodies;
}

static size_t count(const pb_value_t *bodies)
{
    return pb_value_len(bodies);
}

/* The n-th body for pid (0 = first), or NULL. */
static const pb_value_t *body_of(const pb_value_t *bodies, uint32_t pid, int nth)
{
    for (size_t i = 0; i < pb_value_len(bodies); i++) {
        const pb_value_t *b = pb_value_array_at(bodies, i);
        uint64_t p = 0;
        pb_value_map_get_u64(b, "pid", &p);
        if (p == pid && nth-- == 0)
            return b;
    }
    return NULL;
}

static double num(const pb_value_t *b, const char *key)
{
    double d = -1;
    ck_assert_msg(pb_value_map_get(b, key) != NULL, "missing %s", key);
    ck_assert_int_eq(pb_value_map_get_f64(b, key, &d), 0);
    return d;
}

static uint64_t u64(const pb_value_t *b, const char *key)
{
    uint64_t u = 0;
    ck_assert_msg(pb_value_map_get(b, key) != NULL, "missing %s", key);
    ck_assert_int_eq(pb_value_map_get_u64(b, key, &u), 0);
    return u;
}

static const char *str(const pb_value_t *b, const char *key)
{
    const char *s = NULL;
    ck_assert_int_eq(pb_value_map_get_str(b, key, &s), 0);
    return s;
}

static bool is_true(const pb_value_t *b, const char *key)
{
    bool v = false;
    const pb_value_t *x = pb_value_map_get(b, key);
    return x && pb_value_get_bool(x, &v) == 0 && v;
}

static pb_proc_sampler_t *swap_sampler(pb_test_swap_t *sw)
{
    pb_test_swap_start(sw, T0);
    pb_proc_sampler_t *p = pb_proc_sampler_new(sw->link);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void swap_done(pb_test_swap_t *sw, pb_proc_sampler_t **p)
{
    pb_proc_sampler_destroy(p);
    pb_test_swap_end(sw);
}

START_TEST(watched_pid_gets_exact_pidstat_rates)
{
    pb_test_swap_t sw;
    pb_proc_sampler_t *p = swap_sampler(&sw);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0);
    pb_value_t *e0 = scan(p, 100 * SEC);
    ck_assert_uint_eq(count(e0), 1);
    const pb_value_t *b = body_of(e0, 300, 0);
    ck_assert(is_true(b, "first"));
    ck_assert_double_eq(num(b, "interval_s"), 0.0);
    ck_assert_ptr_null(pb_value_map_get(b, "cpu_pct"));
    ck_assert_ptr_null(pb_value_map_get(b, "minflt_per_s"));
    ck_assert_ptr_null(pb_value_map_get(b, "read_bytes_per_s"));
    ck_assert_ptr_null(pb_value_map_get(b, "vol_ctxsw_per_s"));
    ck_assert_uint_eq(u64(b, "utime_ticks_total"), 1000 - 50); /* guest excluded */
    pb_test_swap_to(&sw, T1);
    pb_value_t *e1 = scan(p, 101 * SEC);
    b = body_of(e1, 300, 0);
    ck_assert(!is_true(b, "first"));
    ck_assert_double_eq_tol(num(b, "interval_s"), 1.0, 1e-12);
    ck_assert_double_eq_tol(num(b, "cpu_user_pct"), 150.0, 1e-9); /* 160 ticks - 10 guest */
    ck_assert_double_eq_tol(num(b, "cpu_system_pct"), 30.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "cpu_pct"), 180.0, 1e-9); /* of one core: > 100 */
    ck_assert_double_eq_tol(num(b, "minflt_per_s"), 1000.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "majflt_per_s"), 2.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "read_bytes_per_s"), 4096.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "write_bytes_per_s"), 8192.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "rchar_per_s"), 10000.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "wchar_per_s"), 20000.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "vol_ctxsw_per_s"), 10.0, 1e-9);
    ck_assert_double_eq_tol(num(b, "invol_ctxsw_per_s"), 5.0, 1e-9);
    ck_assert_uint_eq(u64(b, "utime_ticks_total"), 1160 - 60);
    ck_assert_uint_eq(u64(b, "stime_ticks_total"), 230);
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(cpu_is_clamped_to_threads_and_cpus)
{
    pb_test_swap_t sw;
    pb_test_swap_start(&sw, TICK0);
    pb_proc_sampler_t *p = pb_proc_sampler_new(sw.link);
    pb_proc_sampler_set_all(p, true);
    pb_value_t *e0 = scan(p, 100 * SEC);
    pb_test_swap_to(&sw, TICK1);
    pb_value_t *e1 = scan(p, 100 * SEC + 11000000); /* 11 ms later: whole ticks read high */
    const pb_value_t *one = body_of(e1, 10, 0), *wide = body_of(e1, 20, 0);
    const pb_value_t *calm = body_of(e1, 30, 0);
    /* one thread, 30 ms of CPU in 11 ms (272.7 % raw): 100 %, user:system kept 2:1 */
    ck_assert_double_le(num(one, "cpu_pct"), 100.0);
    ck_assert_double_eq_tol(num(one, "cpu_pct"), 100.0, 1e-9);
    ck_assert_double_le(num(one, "cpu_user_pct") + num(one, "cpu_system_pct"), 100.0);
    ck_assert_double_eq_tol(num(one, "cpu_user_pct"), 200.0 / 3, 1e-9);
    ck_assert_double_eq_tol(num(one, "cpu_system_pct"), 100.0 / 3, 1e-9);
    ck_assert(is_true(one, "cpu_clamped"));
    /* eight threads on four CPUs, 100 ms in 11 ms (909 % raw): 400 % */
    ck_assert_double_le(num(wide, "cpu_pct"), 400.0);
    ck_assert_double_eq_tol(num(wide, "cpu_pct"), 400.0, 1e-9);
    ck_assert_double_eq(num(wide, "cpu_system_pct"), 0.0);
    ck_assert(is_true(wide, "cpu_clamped"));
    /* within bounds: untouched, no flag */
    ck_assert_double_eq_tol(num(calm, "cpu_pct"), 1000.0 / 11, 1e-9);
    ck_assert_ptr_null(pb_value_map_get(calm, "cpu_clamped"));
    ck_assert_ptr_null(pb_value_map_get(body_of(e0, 10, 0), "cpu_clamped")); /* first: no rates */
    pb_value_t *latest = pb_proc_sampler_latest(p, 10);
    ck_assert(is_true(latest, "cpu_clamped"));
    pb_value_destroy(&latest);
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(body_carries_every_gauge)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(T1);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0);
    pb_value_t *e = scan(p, SEC);
    const pb_value_t *b = body_of(e, 300, 0);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    ck_assert_uint_eq(u64(b, "ppid"), 1);
    ck_assert_uint_eq(u64(b, "uid"), 1000);
    ck_assert_str_eq(str(b, "comm"), "busy");
    ck_assert_str_eq(str(b, "cmdline"), "busy --threads 4");
    ck_assert_str_eq(str(b, "state"), "S");
    ck_assert_uint_eq(u64(b, "threads"), 4);
    int64_t nice = 0;
    ck_assert_int_eq(pb_value_map_get_i64(b, "nice", &nice), 0);
    ck_assert_int_eq(nice, 5);
    ck_assert_double_eq_tol(num(b, "start_time_s"), 120000.0 / sysconf(_SC_CLK_TCK), 1e-9);
    ck_assert_uint_eq(u64(b, "rss_bytes"), 2560 * page);
    ck_assert_uint_eq(u64(b, "vsize_bytes"), 104857600);
    ck_assert_double_eq_tol(num(b, "mem_pct"), 2560.0 * page / (24683620.0 * 1024) * 100, 1e-12);
    ck_assert_uint_eq(u64(b, "minflt_total"), 6000);
    ck_assert_uint_eq(u64(b, "majflt_total"), 9);
    ck_assert_uint_eq(u64(b, "read_bytes_total"), 40960 + 4096);
    ck_assert_uint_eq(u64(b, "wchar_total"), 70000);
    ck_assert_uint_eq(u64(b, "fds"), 4);
    ck_assert_uint_eq(u64(b, "vol_ctxsw_total"), 110);
    ck_assert_uint_eq(u64(b, "invol_ctxsw_total"), 25);
    ck_assert_ptr_null(pb_value_map_get(b, "gone"));
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
}
END_TEST

START_TEST(watch_and_unwatch_pids)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(T0);
    pb_value_t *none = scan(p, SEC / 2); /* nothing selected: nothing emitted */
    ck_assert_uint_eq(count(none), 0);
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 0);
    pb_value_destroy(&none);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 99999), -ESRCH);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 0), -ESRCH);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 4321), 0);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0); /* already: no duplicate */
    pb_value_t *w = pb_proc_sampler_watching(p);
    char *json = pb_json_encode(w, 0);
    ck_assert_str_eq(json, "{\"pids\":[300,4321],\"matches\":[],\"top\":0,\"all\":false}");
    free(json);
    pb_value_destroy(&w);
    pb_value_t *e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 2);
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 2);
    pb_value_destroy(&e);
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, 300), 0);
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, 300), -ENOENT);
    e = scan(p, 2 * SEC);
    ck_assert_uint_eq(count(e), 1); /* unwatched: dropped quietly, no gone frame */
    ck_assert_ptr_nonnull(body_of(e, 4321, 0));
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
}
END_TEST

START_TEST(match_on_comm_with_spaces_and_parentheses)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(T0);
    char err[128] = "";
    ck_assert_int_eq(pb_proc_sampler_watch_match(p, "^my \\(odd\\) proc$", err, sizeof err), 0);
    pb_value_t *e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 1);
    const pb_value_t *b = body_of(e, 4321, 0);
    ck_assert_str_eq(str(b, "comm"), "my (odd) proc");
    ck_assert_str_eq(str(b, "state"), "S");
    ck_assert_uint_eq(u64(b, "ppid"), 300);
    pb_value_destroy(&e);

    ck_assert_int_eq(pb_proc_sampler_watch_match(p, "(", err, sizeof err), -EINVAL);
    ck_assert_msg(strlen(err) > 0, "no regerror message");
    ck_assert_int_eq(pb_proc_sampler_watch_match(p, "^(busy|sleep)$", err, sizeof err), 0);
    e = scan(p, 2 * SEC);
    ck_assert_uint_eq(count(e), 3);
    ck_assert_ptr_nonnull(body_of(e, 300, 0));
    ck_assert_ptr_nonnull(body_of(e, 1234, 0));
    pb_value_destroy(&e);
    ck_assert_int_eq(pb_proc_sampler_unwatch_match(p, "^(busy|sleep)$"), 0);
    ck_assert_int_eq(pb_proc_sampler_unwatch_match(p, "^(busy|sleep)$"), -ENOENT);
    pb_value_t *w = pb_proc_sampler_watching(p);
    char *json = pb_json_encode(w, 0);
    ck_assert_str_eq(json, "{\"pids\":[],\"matches\":[\"^my \\\\(odd\\\\) proc$\"],\"top\":0,"
                           "\"all\":false}");
    free(json);
    pb_value_destroy(&w);
    pb_proc_sampler_destroy(&p);
}
END_TEST

START_TEST(top_n_ranks_by_cpu_of_the_last_interval)
{
    pb_test_swap_t sw;
    pb_proc_sampler_t *p = swap_sampler(&sw);
    pb_proc_sampler_set_top(p, 1);
    pb_value_t *e0 = scan(p, 100 * SEC);
    ck_assert_uint_eq(count(e0), 0); /* no interval yet: nothing ranks */
    pb_test_swap_to(&sw, T1);
    pb_value_t *e1 = scan(p, 101 * SEC);
    ck_assert_uint_eq(count(e1), 1);
    ck_assert_ptr_nonnull(body_of(e1, 300, 0)); /* 180 % beats 15 % */
    pb_proc_sampler_set_top(p, 2);
    pb_value_t *e2 = scan(p, 102 * SEC); /* same files: everyone at 0 %, lowest pids win */
    ck_assert_uint_eq(count(e2), 2);
    ck_assert_ptr_nonnull(body_of(e2, 2, 0));
    ck_assert_ptr_nonnull(body_of(e2, 300, 0));
    ck_assert_double_eq_tol(num(body_of(e2, 300, 0), "cpu_pct"), 0.0, 1e-9);
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    pb_value_destroy(&e2);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(top_n_larger_than_the_process_count)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(PB_FIXTURES "/proc-old"); /* one process */
    pb_proc_sampler_set_top(p, 10);
    pb_value_t *e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    e = scan(p, 2 * SEC);
    ck_assert_uint_eq(count(e), 1);
    ck_assert_ptr_nonnull(body_of(e, 1, 0));
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
}
END_TEST

START_TEST(all_with_exits_reuse_and_vanished_pids)
{
    pb_test_swap_t sw;
    pb_proc_sampler_t *p = swap_sampler(&sw);
    pb_proc_sampler_set_all(p, true);
    pb_value_t *e0 = scan(p, 100 * SEC);
    ck_assert_uint_eq(count(e0), 5); /* 4242 is listed but its files are gone */
    ck_assert_ptr_null(body_of(e0, 4242, 0));
    ck_assert_str_eq(str(body_of(e0, 2, 0), "cmdline"), ""); /* kernel thread */
    ck_assert_ptr_null(pb_value_map_get(body_of(e0, 2, 0), "fds"));
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 5);
    pb_test_swap_to(&sw, T1);
    pb_value_t *e1 = scan(p, 101 * SEC);
    /* 1234 exited; 777 is another process now; 5555 is new */
    const pb_value_t *gone = body_of(e1, 1234, 0);
    ck_assert(is_true(gone, "gone"));
    ck_assert_str_eq(str(gone, "comm"), "sleep");
    ck_assert_uint_eq(pb_value_len(gone), 3);
    const pb_value_t *old = body_of(e1, 777, 0);
    const pb_value_t *reused = body_of(e1, 777, 1);
    ck_assert(is_true(old, "gone"));
    ck_assert_str_eq(str(old, "comm"), "old");
    ck_assert_str_eq(str(reused, "comm"), "new");
    ck_assert(is_true(reused, "first"));
    ck_assert_str_eq(str(reused, "cmdline"), "new --fresh");
    ck_assert(is_true(body_of(e1, 5555, 0), "first"));
    ck_assert(!is_true(body_of(e1, 300, 0), "first"));
    ck_assert_uint_eq(count(e1), 7); /* 2, 300, 4321, 777 new, 5555 + two gone */
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 5);
    pb_value_t *e2 = scan(p, 102 * SEC);
    ck_assert_uint_eq(count(e2), 5); /* gone frames exactly once */
    ck_assert_ptr_null(body_of(e2, 1234, 0));
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    pb_value_destroy(&e2);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(watched_pid_that_exits_is_gone_once_then_unwatched)
{
    pb_test_swap_t sw;
    pb_proc_sampler_t *p = swap_sampler(&sw);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 1234), 0);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 777), 0);
    pb_value_t *e0 = scan(p, 100 * SEC);
    ck_assert_uint_eq(count(e0), 2);
    pb_test_swap_to(&sw, T1);
    pb_value_t *e1 = scan(p, 101 * SEC);
    ck_assert_uint_eq(count(e1), 2);
    ck_assert(is_true(body_of(e1, 1234, 0), "gone"));
    ck_assert(is_true(body_of(e1, 777, 0), "gone")); /* reused by another process */
    ck_assert_str_eq(str(body_of(e1, 777, 0), "comm"), "old");
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 0);
    pb_value_t *e2 = scan(p, 102 * SEC);
    ck_assert_uint_eq(count(e2), 0);
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, 1234), -ENOENT); /* left the list */
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, 777), -ENOENT);
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    pb_value_destroy(&e2);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(latest_is_the_last_emitted_body)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(T1);
    ck_assert_ptr_null(pb_proc_sampler_latest(p, 300)); /* before any scan */
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0);
    pb_value_t *e = scan(p, SEC);
    pb_value_destroy(&e);
    e = scan(p, 2 * SEC);
    pb_value_t *latest = pb_proc_sampler_latest(p, 300);
    ck_assert_ptr_nonnull(latest);
    char *a = pb_json_encode(body_of(e, 300, 0), 0);
    char *b = pb_json_encode(latest, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_ptr_null(pb_proc_sampler_latest(p, 4321)); /* exists but not tracked */
    ck_assert_ptr_null(pb_proc_sampler_latest(p, 99999));
    pb_value_destroy(&latest);
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
    pb_proc_sampler_destroy(&p);
    pb_proc_sampler_destroy(NULL);
}
END_TEST

START_TEST(read_once_any_pid)
{
    pb_value_t *b = NULL;
    ck_assert_int_eq(pb_proc_read_once(T1, 300, &b), 0);
    ck_assert(is_true(b, "first"));
    ck_assert_ptr_null(pb_value_map_get(b, "cpu_pct"));
    /* (1160 + 230) ticks over the 1901 - 1200 s it has been alive */
    double hz = (double)sysconf(_SC_CLK_TCK);
    double want = (1160 + 230) / hz / (1901.0 - 120000 / hz) * 100;
    ck_assert_double_eq_tol(num(b, "cpu_pct_since_start"), want, 1e-9);
    ck_assert_str_eq(str(b, "cmdline"), "busy --threads 4");
    pb_value_destroy(&b);
    ck_assert_int_eq(pb_proc_read_once(T1, 4242, &b), -ENOENT);
    ck_assert_int_eq(pb_proc_read_once(T1, 99999, &b), -ENOENT);
    ck_assert_int_eq(pb_proc_read_once(T1, 0, &b), -ENOENT);
    ck_assert_int_eq(pb_proc_read_once(PB_FIXTURES "/proc-garbage", 666, &b), -EINVAL);
    ck_assert_ptr_null(b);
    /* an old kernel: no guest_time column, no io file */
    ck_assert_int_eq(pb_proc_read_once(PB_FIXTURES "/proc-old", 1, &b), 0);
    ck_assert_uint_eq(u64(b, "utime_ticks_total"), 3);
    ck_assert_ptr_null(pb_value_map_get(b, "rchar_total"));
    pb_value_destroy(&b);
}
END_TEST

START_TEST(garbage_process_is_skipped_quietly)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(PB_FIXTURES "/proc-garbage");
    pb_proc_sampler_set_all(p, true);
    pb_value_t *e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
    p = pb_proc_sampler_new("/nonexistent-root");
    pb_proc_sampler_set_all(p, true);
    s_sink_t sink = {pb_value_array_new(), 0};
    ck_assert_int_eq(pb_proc_sampler_scan(p, SEC, collect, &sink), -ENOENT);
    pb_value_destroy(&sink.bodies);
    pb_proc_sampler_destroy(&p);
}
END_TEST

/* With nothing watched a scan opens nothing: under a root without proc it
 * still succeeds, and once a watch ends and its entry is swept it does again. */
START_TEST(nothing_watched_opens_no_proc)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new("/nonexistent-root");
    pb_value_t *e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
    pb_test_swap_t sw;
    p = swap_sampler(&sw);
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, 300), 0);
    e = scan(p, SEC);
    ck_assert_uint_eq(count(e), 1);
    pb_value_destroy(&e);
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, 300), 0);
    e = scan(p, 2 * SEC); /* sweeps the entry of the unwatched pid */
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    pb_test_swap_to(&sw, "/nonexistent-root");
    e = scan(p, 3 * SEC);
    ck_assert_uint_eq(count(e), 0);
    ck_assert_uint_eq(pb_proc_sampler_tracked(p), 0);
    pb_value_destroy(&e);
    swap_done(&sw, &p);
}
END_TEST

START_TEST(emit_errors_are_returned_after_the_cycle)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new(T0);
    pb_proc_sampler_set_all(p, true);
    s_sink_t sink = {pb_value_array_new(), -EIO};
    ck_assert_int_eq(pb_proc_sampler_scan(p, SEC, collect, &sink), -EIO);
    ck_assert_uint_eq(count(sink.bodies), 5); /* the cycle still finished */
    pb_value_destroy(&sink.bodies);
    pb_proc_sampler_destroy(&p);
}
END_TEST

static void burn_cpu(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile double x = 0;
    do {
        for (int i = 0; i < 100000; i++)
            x += i * 0.5;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

static uint64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

START_TEST(real_proc_finds_this_process)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new("");
    uint32_t self = (uint32_t)getpid();
    pb_proc_sampler_set_all(p, true);
    pb_value_t *e0 = scan(p, mono_now());
    ck_assert_uint_gt(count(e0), 1);
    burn_cpu(0.3);
    pb_value_t *e1 = scan(p, mono_now());
    const pb_value_t *b = body_of(e1, self, 0);
    ck_assert_ptr_nonnull(b);
    ck_assert(!is_true(b, "first"));
    ck_assert_str_eq(str(b, "comm"), "test_pb_proc_sa");
    ck_assert(strstr(str(b, "cmdline"), "test_pb_proc_sampler") != NULL);
    ck_assert_uint_eq(u64(b, "ppid"), (uint64_t)getppid());
    ck_assert_str_eq(str(b, "state"), "R");
    double cpu = num(b, "cpu_pct");
    ck_assert_msg(cpu > 10.0 && cpu < 110.0, "cpu_pct %f after burning 0.3 s", cpu);
    ck_assert_uint_gt(u64(b, "rss_bytes"), 0);
    ck_assert_uint_ge(u64(b, "fds"), 3);
    ck_assert_uint_ge(pb_proc_sampler_tracked(p), count(e0) / 2);
    pb_value_destroy(&e0);
    pb_value_destroy(&e1);
    pb_value_t *once = NULL;
    ck_assert_int_eq(pb_proc_read_once("/", self, &once), 0);
    ck_assert(num(once, "cpu_pct_since_start") > 0.0);
    pb_value_destroy(&once);
    pb_proc_sampler_destroy(&p);
}
END_TEST

static int open_fds(void)
{
    int n = pb_procfs_count("", "proc/self/fd");
    ck_assert_int_gt(n, 0);
    return n;
}

/* stat, status, io, schedstat, and PID/fd where its size counts fds (Linux >= 6.2). */
static int kept_per_process(void)
{
    struct stat sb;
    return 4 + (stat("/proc/self/fd", &sb) == 0 && sb.st_size > 0);
}

START_TEST(real_proc_keeps_files_open_and_gives_them_back)
{
    pb_proc_sampler_t *p = pb_proc_sampler_new("");
    uint32_t self = (uint32_t)getpid();
    int kept = kept_per_process();
    int before = open_fds();
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, self), 0);
    pb_value_t *e = scan(p, mono_now());
    pb_value_destroy(&e);
    ck_assert_int_eq(open_fds(), before + kept);
    burn_cpu(0.2);
    e = scan(p, mono_now()); /* read again through the kept files: fresh numbers */
    ck_assert_int_eq(open_fds(), before + kept);
    const pb_value_t *b = body_of(e, self, 0);
    ck_assert_msg(num(b, "cpu_pct") > 5.0, "cpu_pct %f", num(b, "cpu_pct"));
    pb_value_destroy(&e);
    ck_assert_int_eq(pb_proc_sampler_unwatch_pid(p, self), 0);
    e = scan(p, mono_now());
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    ck_assert_int_eq(open_fds(), before);
    pb_proc_sampler_set_all(p, true);
    e = scan(p, mono_now());
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
    ck_assert_int_eq(open_fds(), before); /* destroy closes them all */
}
END_TEST

START_TEST(real_child_that_exits_is_gone_once)
{
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    pb_proc_sampler_t *p = pb_proc_sampler_new("");
    ck_assert_int_eq(pb_proc_sampler_watch_pid(p, (uint32_t)child), 0);
    pb_value_t *e = scan(p, mono_now());
    ck_assert_ptr_nonnull(body_of(e, (uint32_t)child, 0));
    pb_value_destroy(&e);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0); /* reaped: its kept files now read -ESRCH */
    e = scan(p, mono_now());
    ck_assert_uint_eq(count(e), 1);
    ck_assert(is_true(body_of(e, (uint32_t)child, 0), "gone"));
    pb_value_destroy(&e);
    e = scan(p, mono_now());
    ck_assert_uint_eq(count(e), 0);
    pb_value_destroy(&e);
    pb_proc_sampler_destroy(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_sampler");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, watched_pid_gets_exact_pidstat_rates);
    tcase_add_test(tc, body_carries_every_gauge);
    tcase_add_test(tc, cpu_is_clamped_to_threads_and_cpus);
    tcase_add_test(tc, watch_and_unwatch_pids);
    tcase_add_test(tc, match_on_comm_with_spaces_and_parentheses);
    tcase_add_test(tc, top_n_ranks_by_cpu_of_the_last_interval);
    tcase_add_test(tc, top_n_larger_than_the_process_count);
    tcase_add_test(tc, all_with_exits_reuse_and_vanished_pids);
    tcase_add_test(tc, watched_pid_that_exits_is_gone_once_then_unwatched);
    tcase_add_test(tc, latest_is_the_last_emitted_body);
    tcase_add_test(tc, read_once_any_pid);
    tcase_add_test(tc, garbage_process_is_skipped_quietly);
    tcase_add_test(tc, nothing_watched_opens_no_proc);
    tcase_add_test(tc, emit_errors_are_returned_after_the_cycle);
    tcase_add_test(tc, real_proc_finds_this_process);
    tcase_add_test(tc, real_proc_keeps_files_open_and_gives_them_back);
    tcase_add_test(tc, real_child_that_exits_is_gone_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
