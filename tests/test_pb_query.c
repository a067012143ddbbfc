/* Unit tests of pb_query: every op and its argument errors, on frames fed to a pb_sub. */
#include "pb_query.h"

#include "pb_codec.h"
#include "pb_sub.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

static pb_sub_t *s_sub;

static void s_feed(pb_value_t *frame, const char *topic)
{
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(frame, &buf, &len), 0);
    pb_sub_ingest(s_sub, topic, strlen(topic), buf, len, pb_frame_now_ns());
    free(buf);
    pb_value_destroy(&frame);
}

static void s_setup(void)
{
    pb_sub_config_t c = {.nconnect = 1, .query = "tcp://127.0.0.1:*"};
    c.connect[0] = "inproc://nobody";
    char err[256] = "";
    s_sub = pb_sub_new(&c, err, sizeof err);
    ck_assert_msg(s_sub != NULL, "%s", err);
    for (uint64_t i = 0; i < 10; i++) {
        pb_value_t *f = pb_frame_new("sys", "h", "src", 2 * i, (i + 1) * SEC);
        pb_value_map_put_float(f, "uptime_s", (double)i);
        s_feed(f, "sys.h");
        f = pb_frame_new("proc", "h", "src", 2 * i + 1, (i + 1) * SEC);
        pb_value_map_put_uint(f, "pid", 42);
        pb_value_map_put_str(f, "comm", "app");
        pb_value_map_put_uint(f, "rss_bytes", 1000 * (i + 1));
        s_feed(f, "proc.h.42");
    }
}

static void s_teardown(void)
{
    pb_sub_destroy(&s_sub);
}

/* Calls op with the args of a "k=v" style builder: args may be NULL. */
static pb_value_t *s_call(const char *op, pb_value_t *args)
{
    pb_value_t *req = args ? args : pb_value_map_new();
    pb_value_map_put_str(req, "op", op);
    pb_value_t *reply = pb_query_handle(s_sub, op, req);
    pb_value_destroy(&req);
    ck_assert_ptr_nonnull(reply);
    return reply;
}

static void s_expect_error(pb_value_t *reply, const char *code)
{
    bool ok = true;
    const char *got = NULL;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok), 0);
    ck_assert(!ok);
    ck_assert_int_eq(pb_value_map_get_str(pb_value_map_get(reply, "error"), "code", &got), 0);
    ck_assert_str_eq(got, code);
    pb_value_destroy(&reply);
}

static void s_expect_ok(pb_value_t *reply)
{
    bool ok = false;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok), 0);
    ck_assert(ok);
}

START_TEST(summary_of_the_system_and_of_a_process)
{
    pb_value_t *r = s_call("summary", NULL);
    s_expect_ok(r);
    double d = 0;
    ck_assert_int_eq(pb_value_map_get_f64(pb_value_path(r, "summary.uptime_s"), "p50", &d), 0);
    ck_assert_double_eq_tol(d, 4.5, 1e-9);
    pb_value_destroy(&r);
    pb_value_t *args = pb_value_map_new();
    pb_value_map_put_uint(args, "pid", 42);
    pb_value_map_put_float(args, "last", 2.5);
    r = s_call("summary", args);
    s_expect_ok(r);
    ck_assert_int_eq(pb_value_map_get_f64(pb_value_path(r, "summary.rss_bytes"), "min", &d), 0);
    ck_assert_double_eq(d, 8000); /* rows at 8, 9, 10 s */
    pb_value_destroy(&r);
}
END_TEST

START_TEST(history_with_fields)
{
    pb_value_t *args = pb_value_map_new();
    pb_value_map_put_str(args, "fields", "uptime_s");
    pb_value_map_put_uint(args, "from", 5 * SEC);
    pb_value_t *r = s_call("history", args);
    s_expect_ok(r);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(r, "ts")), 6);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(r, "fields")), 1);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(processes_ops)
{
    pb_value_t *r = s_call("processes", NULL);
    s_expect_ok(r);
    pb_value_t *p = pb_value_array_at(pb_value_map_get(r, "processes"), 0);
    const char *comm = NULL;
    ck_assert_int_eq(pb_value_map_get_str(p, "comm", &comm), 0);
    ck_assert_str_eq(comm, "app");
    pb_value_destroy(&r);
    r = s_call("processes_summary", NULL);
    s_expect_ok(r);
    ck_assert_ptr_nonnull(
        pb_value_map_get(pb_value_array_at(pb_value_map_get(r, "processes"), 0), "summary"));
    pb_value_destroy(&r);
    r = s_call("processes_history", NULL);
    s_expect_ok(r);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(
                          pb_value_array_at(pb_value_map_get(r, "processes"), 0), "ts")),
                      10);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(stats_count_garbage_and_gaps)
{
    pb_sub_ingest(s_sub, "sys.h", 5, "\xc1", 1, 1);                 /* not msgpack */
    pb_sub_ingest(s_sub, "sys.h", 5, "\x91\x01", 2, 1);             /* [1]: no envelope */
    s_feed(pb_frame_new("sys", "h", "src", 25, 11 * SEC), "sys.h"); /* 20..24 lost */
    pb_value_t *r = s_call("stats", NULL);
    s_expect_ok(r);
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(r, "frames", &u), 0);
    ck_assert_uint_eq(u, 23);
    ck_assert_int_eq(pb_value_map_get_u64(r, "decode_errors", &u), 0);
    ck_assert_uint_eq(u, 1);
    ck_assert_int_eq(pb_value_map_get_u64(r, "envelope_errors", &u), 0);
    ck_assert_uint_eq(u, 1);
    ck_assert_int_eq(pb_value_map_get_u64(r, "lost", &u), 0);
    ck_assert_uint_eq(u, 5);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(r, "publishers")), 1);
    ck_assert_int_eq(
        pb_value_get_bool(pb_value_path(r, "subscription.loss_tracking"), &(bool){false}), 0);
    pb_value_destroy(&r);
}
END_TEST

START_TEST(health)
{
    pb_value_t *r = s_call("health", NULL);
    s_expect_ok(r);
    const char *status = NULL;
    ck_assert_int_eq(pb_value_map_get_str(r, "status", &status), 0);
    ck_assert_str_eq(status, "ok");
    pb_value_destroy(&r);
}
END_TEST

static const char *s_host_state(const char *op)
{
    static char state[32];
    pb_value_t *r = s_call(op, NULL);
    const char *got = "absent";
    pb_value_map_get_str(pb_value_array_at(pb_value_map_get(r, "hosts"), 0), "state", &got);
    snprintf(state, sizeof state, "%s", got);
    uint64_t n = 0;
    ck_assert_int_eq(pb_value_map_get_u64(r, "down_after", &n), 0);
    ck_assert_uint_eq(n, 3);
    pb_value_destroy(&r);
    return state;
}

/* The loop judges hosts by the heartbeat period their hb frames carry (here 20 ms). */
START_TEST(hosts_up_and_down_in_stats_and_health)
{
    ck_assert_str_eq(s_host_state("stats"), "untracked"); /* sys and proc frames only */
    pb_value_t *hb = pb_frame_new("hb", "h", "src", 20, 11 * SEC);
    pb_value_map_put_float(hb, "heartbeat_s", 0.02);
    s_feed(hb, "hb.h");
    ck_assert_str_eq(s_host_state("stats"), "up");
    ck_assert_str_eq(s_host_state("health"), "up");
    pb_value_t *r = s_call("stats", NULL);
    double period = 0;
    const pb_value_t *host = pb_value_array_at(pb_value_map_get(r, "hosts"), 0);
    ck_assert_int_eq(pb_value_map_get_f64(host, "hb_period_s", &period), 0);
    ck_assert_double_eq_tol(period, 0.02, 1e-9);
    pb_value_destroy(&r);
    uint64_t end = pb_frame_now_ns() + 5 * SEC;
    while (strcmp(s_host_state("health"), "down") != 0 && pb_frame_now_ns() < end)
        ck_assert_int_eq(pb_sub_poll(s_sub, 20), 0);
    ck_assert_str_eq(s_host_state("health"), "down");
    ck_assert_str_eq(s_host_state("stats"), "down");
    s_feed(pb_frame_new("sys", "h", "src", 21, 12 * SEC), "sys.h");
    ck_assert_str_eq(s_host_state("stats"), "up");
}
END_TEST

static pb_value_t *s_args1(const char *key, pb_value_t *value)
{
    pb_value_t *args = pb_value_map_new();
    pb_value_map_put(args, key, &value);
    return args;
}

START_TEST(bad_arguments)
{
    s_expect_error(s_call("history", s_args1("pid", pb_value_str_new("42"))), "bad_arg");
    s_expect_error(s_call("history", s_args1("pid", pb_value_int_new(-1))), "bad_arg");
    s_expect_error(s_call("summary", s_args1("last", pb_value_int_new(-3))), "bad_arg");
    s_expect_error(s_call("summary", s_args1("last", pb_value_str_new("1m"))), "bad_arg");
    s_expect_error(s_call("summary", s_args1("from", pb_value_float_new(1.5))), "bad_arg");
    s_expect_error(s_call("summary", s_args1("fields", pb_value_uint_new(3))), "bad_arg");
    s_expect_error(s_call("summary", s_args1("host", pb_value_uint_new(3))), "bad_arg");
    pb_value_t *arr = pb_value_array_new();
    pb_value_t *n = pb_value_uint_new(1);
    pb_value_array_push(arr, &n);
    s_expect_error(s_call("history", s_args1("fields", arr)), "bad_arg");
    pb_value_t *args = s_args1("from", pb_value_uint_new(10));
    pb_value_map_put_uint(args, "to", 5);
    s_expect_error(s_call("history", args), "bad_arg");
    s_expect_error(s_call("processes", s_args1("pid", pb_value_uint_new(42))), "bad_arg");
}
END_TEST

START_TEST(not_found_and_unknown_op)
{
    s_expect_error(s_call("history", s_args1("pid", pb_value_uint_new(999))), "not_found");
    s_expect_error(s_call("summary", s_args1("host", pb_value_str_new("other"))), "not_found");
    s_expect_error(s_call("frobnicate", NULL), "unknown_op");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_query");
    TCase *tc = tcase_create("query");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, summary_of_the_system_and_of_a_process);
    tcase_add_test(tc, history_with_fields);
    tcase_add_test(tc, processes_ops);
    tcase_add_test(tc, stats_count_garbage_and_gaps);
    tcase_add_test(tc, health);
    tcase_add_test(tc, hosts_up_and_down_in_stats_and_health);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, not_found_and_unknown_op);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
