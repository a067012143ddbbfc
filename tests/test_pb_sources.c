/* Unit tests of pb_sources: seq gaps, restarts, reordering, the table bound, host up/down. */
#include "pb_sources.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t s_note(pb_sources_t *t, const char *src, uint64_t seq)
{
    pb_envelope_t env = {1, "sys", "host", src, seq, 1};
    return pb_sources_note(t, &env, 100, seq);
}

START_TEST(gaps_are_lost_frames)
{
    pb_sources_t *t = pb_sources_new();
    ck_assert_int_eq(s_note(t, "a", 5), 0); /* joined late: not a loss */
    ck_assert_int_eq(s_note(t, "a", 6), 0);
    ck_assert_int_eq(s_note(t, "a", 10), 3);
    ck_assert_int_eq(s_note(t, "a", 11), 0);
    ck_assert_uint_eq(pb_sources_lost(t), 3);
    pb_value_t *v = pb_sources_to_value(t);
    uint64_t u = 0;
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "frames", &u), 0);
    ck_assert_uint_eq(u, 4);
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "bytes", &u), 0);
    ck_assert_uint_eq(u, 400);
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(v, 0), "last_seq", &u), 0);
    ck_assert_uint_eq(u, 11);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
    ck_assert_ptr_null(t);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(restart_is_a_new_source_not_a_loss)
{
    pb_sources_t *t = pb_sources_new();
    for (uint64_t s = 0; s < 50; s++)
        s_note(t, "first-run", s);
    ck_assert_int_eq(s_note(t, "second-run", 0), 0); /* seq starts over, new src */
    ck_assert_int_eq(s_note(t, "second-run", 1), 0);
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_value_t *v = pb_sources_to_value(t);
    ck_assert_uint_eq(pb_value_len(v), 2);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(duplicates_and_reordering_are_not_loss)
{
    pb_sources_t *t = pb_sources_new();
    s_note(t, "a", 1);
    s_note(t, "a", 2);
    ck_assert_int_eq(s_note(t, "a", 2), 0);
    ck_assert_int_eq(s_note(t, "a", 1), 0);
    ck_assert_int_eq(s_note(t, "a", 3), 0); /* last_seq stayed 2 */
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_value_t *v = pb_sources_to_value(t);
    uint64_t u = 0;
    pb_value_map_get_u64(pb_value_array_at(v, 0), "out_of_order", &u);
    ck_assert_uint_eq(u, 2);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(table_is_bounded_and_keeps_lost_totals)
{
    pb_sources_t *t = pb_sources_new();
    s_note(t, "lossy", 0);
    s_note(t, "lossy", 10); /* 9 lost */
    for (int i = 0; i < PB_SOURCES_MAX + 10; i++) {
        char src[32];
        snprintf(src, sizeof src, "s%d", i);
        pb_envelope_t env = {1, "sys", "h", src, 0, 1};
        ck_assert_int_eq(pb_sources_note(t, &env, 1, 1000 + (uint64_t)i), 0);
    }
    pb_value_t *v = pb_sources_to_value(t);
    ck_assert_uint_eq(pb_value_len(v), PB_SOURCES_MAX);
    pb_value_destroy(&v);
    ck_assert_uint_eq(pb_sources_lost(t), 9); /* "lossy" was forgotten, its loss was not */
    pb_sources_destroy(&t);
}
END_TEST

#define S_SEC 1000000000ull

/* A frame of src on host at t seconds of a fake clock; hb frames carry a 1 s period. */
static void s_frame(pb_sources_t *t, const char *host, const char *src, uint64_t seq, double t_s,
                    bool hb)
{
    pb_envelope_t env = {1, hb ? "hb" : "sys", host, src, seq, 1};
    uint64_t now = (uint64_t)(t_s * 1e9);
    ck_assert_int_ge(pb_sources_note(t, &env, 10, now), 0);
    if (hb)
        pb_sources_heartbeat(t, src, S_SEC, now);
}

typedef struct {
    pb_sources_host_t h;
    int found, changes;
} s_host_seen_t;

static int s_take_host(const pb_sources_host_t *h, void *arg)
{
    s_host_seen_t *seen = arg;
    seen->h = *h;
    seen->found++;
    return 0;
}

typedef struct {
    const char *want;
    pb_sources_host_t *out;
} s_find_t;

static int s_find_host(const pb_sources_host_t *h, void *arg)
{
    s_find_t *f = arg;
    if (strcmp(h->host, f->want) != 0)
        return 0;
    *f->out = *h;
    return 1;
}

/* The host named host as pb_sources_each_host gives it; fails the test when absent. */
static pb_sources_host_t s_host(const pb_sources_t *t, const char *host)
{
    pb_sources_host_t out = {0};
    s_find_t f = {host, &out};
    int rc = pb_sources_each_host(t, s_find_host, &f);
    ck_assert_int_eq(rc, 1);
    return out;
}

START_TEST(host_is_down_after_n_missed_heartbeats_and_up_at_its_next_frame)
{
    pb_sources_t *t = pb_sources_new();
    s_host_seen_t changes = {0};
    pb_sources_set_change_fn(t, s_take_host, &changes);
    ck_assert_uint_eq(pb_sources_down_after(t), 3);
    for (int i = 0; i <= 5; i++)
        s_frame(t, "web1", "a", (uint64_t)i, i, true);
    ck_assert_int_eq(pb_sources_tick(t, 8 * S_SEC), 0); /* 3 s after the last: not yet */
    ck_assert(s_host(t, "web1").up);
    ck_assert_int_eq(pb_sources_tick(t, 8 * S_SEC + 1), 1); /* more than 3 periods */
    pb_sources_host_t h = s_host(t, "web1");
    ck_assert(!h.up && h.tracked);
    ck_assert_uint_eq(h.down_total, 1);
    ck_assert_uint_eq(h.nperiods, 1);
    ck_assert_uint_eq(h.periods[0].from_ns, 5 * S_SEC); /* from the last frame heard */
    ck_assert_uint_eq(h.periods[0].to_ns, 0);           /* still down */
    ck_assert_int_eq(changes.found, 1);
    ck_assert(!changes.h.up);
    ck_assert_int_eq(pb_sources_tick(t, 9 * S_SEC), 0); /* one transition only */
    s_frame(t, "web1", "a", 20, 15, false);             /* any frame of it: up */
    h = s_host(t, "web1");
    ck_assert(h.up);
    ck_assert_uint_eq(h.periods[0].to_ns, 15 * S_SEC);
    ck_assert_int_eq(changes.found, 2);
    ck_assert(changes.h.up);
    ck_assert_uint_eq(pb_sources_lost(t), 14); /* the frames sent meanwhile: seq 6..19 */
    ck_assert_int_eq(pb_sources_tick(t, 17 * S_SEC), 0);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(down_after_is_configurable)
{
    pb_sources_t *t = pb_sources_new();
    pb_sources_set_down_after(t, 5);
    s_frame(t, "h", "a", 0, 0, true);
    ck_assert_int_eq(pb_sources_tick(t, 5 * S_SEC), 0);
    ck_assert_int_eq(pb_sources_tick(t, 5 * S_SEC + 1), 1);
    pb_sources_set_down_after(t, 0);
    ck_assert_uint_eq(pb_sources_down_after(t), PB_SOURCES_DOWN_AFTER);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(sources_without_heartbeats_are_not_judged)
{
    pb_sources_t *t = pb_sources_new();
    s_frame(t, "h", "agent-1", 0, 0, false);
    ck_assert_int_eq(pb_sources_tick(t, 1000 * S_SEC), 0);
    pb_sources_host_t h = s_host(t, "h");
    ck_assert(!h.tracked && h.up);
    pb_value_t *v = pb_sources_hosts_value(t);
    const char *state = NULL;
    ck_assert_int_eq(pb_value_map_get_str(pb_value_array_at(v, 0), "state", &state), 0);
    ck_assert_str_eq(state, "untracked");
    pb_value_destroy(&v);
    /* the host's perfbusd starts: the agent takes the host's state, which is judged */
    s_frame(t, "h", "perfbusd-1", 0, 1000, true);
    s_frame(t, "h", "agent-1", 1, 1001, false); /* keeps nothing up by itself */
    ck_assert_int_eq(pb_sources_tick(t, 1004 * S_SEC), 1);
    v = pb_sources_to_value(t);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(pb_value_map_get_str(pb_value_array_at(v, i), "state", &state), 0);
        ck_assert_str_eq(state, "down");
    }
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(restarted_publisher_keeps_its_host_up_and_loses_nothing)
{
    pb_sources_t *t = pb_sources_new();
    for (int i = 0; i < 10; i++)
        s_frame(t, "web1", "old", (uint64_t)(100 + i), i, true);
    s_frame(t, "web1", "new", 0, 10.5, false); /* first frame of the restarted daemon */
    s_frame(t, "web1", "new", 1, 10.6, true);
    for (int i = 11; i < 20; i++) {
        s_frame(t, "web1", "new", (uint64_t)(i - 9), i, true);
        ck_assert_int_eq(pb_sources_tick(t, (uint64_t)i * S_SEC + S_SEC / 2), 0);
    }
    pb_sources_host_t h = s_host(t, "web1");
    ck_assert(h.up);
    ck_assert_uint_eq(h.down_total, 0);
    ck_assert_str_eq(h.src, "new");
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_value_t *v = pb_sources_to_value(t);
    const char *src = NULL, *state = NULL;
    for (size_t i = 0; i < pb_value_len(v); i++) {
        pb_value_map_get_str(pb_value_array_at(v, i), "src", &src);
        pb_value_map_get_str(pb_value_array_at(v, i), "state", &state);
        ck_assert_str_eq(state, strcmp(src, "old") == 0 ? "replaced" : "up");
    }
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(a_long_restart_is_one_down_period)
{
    pb_sources_t *t = pb_sources_new();
    s_frame(t, "web1", "old", 7, 0, true);
    ck_assert_int_eq(pb_sources_tick(t, 4 * S_SEC), 1);
    s_frame(t, "web1", "new", 0, 30, false); /* not judged yet: the host stays down */
    ck_assert(!s_host(t, "web1").up);
    s_frame(t, "web1", "new", 1, 30.2, true);
    pb_sources_host_t h = s_host(t, "web1");
    ck_assert(h.up);
    ck_assert_uint_eq(h.periods[0].from_ns, 0);
    ck_assert_uint_eq(h.periods[0].to_ns, (uint64_t)(30.2 * 1e9));
    ck_assert_uint_eq(pb_sources_lost(t), 0);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(down_periods_are_bounded_oldest_forgotten)
{
    pb_sources_t *t = pb_sources_new();
    int n = PB_SOURCES_PERIODS + 6;
    for (int i = 0; i < n; i++) {
        s_frame(t, "flaky", "a", (uint64_t)i, i * 10.0, true);
        ck_assert_int_eq(pb_sources_tick(t, (uint64_t)(i * 10 + 5) * S_SEC), 1);
    }
    s_frame(t, "flaky", "a", (uint64_t)n, n * 10.0, true);
    pb_sources_host_t h = s_host(t, "flaky");
    ck_assert(h.up);
    ck_assert_uint_eq(h.down_total, (uint64_t)n);
    ck_assert_uint_eq(h.nperiods, PB_SOURCES_PERIODS);
    ck_assert_uint_eq(h.periods[0].from_ns, 60 * S_SEC); /* the first 6 are forgotten */
    ck_assert_uint_eq(h.periods[PB_SOURCES_PERIODS - 1].to_ns, (uint64_t)n * 10 * S_SEC);
    for (size_t i = 1; i < h.nperiods; i++)
        ck_assert_uint_ge(h.periods[i].from_ns,
                          h.periods[i - 1].to_ns); /* up at a frame, then silent */
    pb_value_t *v = pb_sources_hosts_value(t);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(pb_value_array_at(v, 0), "down")),
                      PB_SOURCES_PERIODS);
    pb_value_destroy(&v);
    pb_sources_destroy(&t);
}
END_TEST

START_TEST(hosts_are_independent)
{
    pb_sources_t *t = pb_sources_new();
    for (int i = 0; i < 10; i++) {
        s_frame(t, "a", "sa", (uint64_t)i, i, true);
        if (i < 3)
            s_frame(t, "b", "sb", (uint64_t)i, i, true);
        pb_sources_tick(t, (uint64_t)i * S_SEC + 1);
    }
    ck_assert(s_host(t, "a").up);
    ck_assert(!s_host(t, "b").up);
    ck_assert_uint_eq(s_host(t, "a").down_total, 0);
    pb_sources_destroy(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sources");
    TCase *tc = tcase_create("sources");
    tcase_add_test(tc, gaps_are_lost_frames);
    tcase_add_test(tc, restart_is_a_new_source_not_a_loss);
    tcase_add_test(tc, duplicates_and_reordering_are_not_loss);
    tcase_add_test(tc, table_is_bounded_and_keeps_lost_totals);
    tcase_add_test(tc, host_is_down_after_n_missed_heartbeats_and_up_at_its_next_frame);
    tcase_add_test(tc, down_after_is_configurable);
    tcase_add_test(tc, sources_without_heartbeats_are_not_judged);
    tcase_add_test(tc, restarted_publisher_keeps_its_host_up_and_loses_nothing);
    tcase_add_test(tc, a_long_restart_is_one_down_period);
    tcase_add_test(tc, down_periods_are_bounded_oldest_forgotten);
    tcase_add_test(tc, hosts_are_independent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
