/* Check suite for pb_events_index: the marks kept per host, their bounds, and what a replay walks.
 */
#include "pb_events_index.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Collects the seqs a replay hands out. */
typedef struct {
    uint64_t seqs[4096];
    size_t n;
} s_got_t;

static int s_collect(void *arg, const char *type, uint64_t seq, const pb_value_t *body)
{
    (void)type;
    (void)body;
    s_got_t *g = arg;
    g->seqs[g->n++] = seq;
    return 0;
}

/* Every mark's row is gone from this history but gone marks: only they are handed out. */
static s_got_t s_replay(const pb_events_index_t *ix, const char *host, uint64_t last, size_t max)
{
    static pb_history_t *empty;
    empty = empty ? empty : pb_history_new(NULL);
    s_got_t g = {.n = 0};
    pb_events_replay_t how = {NULL, 0, max};
    ck_assert_int_eq(pb_events_index_replay(ix, host, last, empty, &how, s_collect, &g), 0);
    return g;
}

static void s_add(pb_events_index_t *ix, const char *host, uint64_t seq, int64_t pid)
{
    pb_events_mark_t m = {seq, seq, pid, true}; /* gone: replayed even with no history row */
    ck_assert_int_eq(pb_events_index_add(ix, host, &m), 0);
}

/* rows = 3 samples: the fourth sys mark pushes out the first sample whole (sys and its procs). */
START_TEST(the_last_rows_samples_are_kept)
{
    pb_events_index_t *ix = pb_events_index_new(3);
    for (uint64_t k = 1; k <= 4; k++) {
        s_add(ix, "h", 100 * k, -1);
        for (uint64_t p = 1; p <= 50; p++) /* past the first allocation: the ring grows */
            s_add(ix, "h", 100 * k + p, (int64_t)p);
    }
    s_got_t g = s_replay(ix, "h", 0, 100);
    ck_assert_uint_eq(g.n, 3 * 51);
    ck_assert_uint_eq(g.seqs[0], 200);
    ck_assert_uint_eq(g.seqs[g.n - 1], 450);
    for (size_t i = 1; i < g.n; i++)
        ck_assert_uint_lt(g.seqs[i - 1], g.seqs[i]);
    g = s_replay(ix, "h", 235, 100);
    ck_assert_uint_eq(g.seqs[0], 236);
    g = s_replay(ix, "h", 0, 1); /* the newest sample only */
    ck_assert_uint_eq(g.n, 51);
    ck_assert_uint_eq(g.seqs[0], 400);
    pb_events_index_destroy(&ix);
}
END_TEST

/* A host that sends proc frames and no sys frame is bounded by MARKS_PER_ROW * rows marks. */
START_TEST(marks_are_bounded_without_samples)
{
    pb_events_index_t *ix = pb_events_index_new(2);
    size_t max = 2 * PB_EVENTS_INDEX_MARKS_PER_ROW;
    for (uint64_t seq = 1; seq <= 3 * max; seq++)
        s_add(ix, "h", seq, 7);
    s_got_t g = s_replay(ix, "h", 0, 10);
    ck_assert_uint_eq(g.n, max);
    ck_assert_uint_eq(g.seqs[0], 2 * max + 1);
    pb_events_index_destroy(&ix);
}
END_TEST

START_TEST(hosts_are_apart_and_bounded)
{
    pb_events_index_t *ix = pb_events_index_new(10);
    char host[32];
    for (int i = 0; i < PB_EVENTS_INDEX_HOSTS; i++) {
        snprintf(host, sizeof host, "h%d", i);
        s_add(ix, host, (uint64_t)i + 1, -1);
    }
    pb_events_mark_t m = {1, 1, -1, true};
    ck_assert_int_eq(pb_events_index_add(ix, "one-too-many", &m), -ENOSPC);
    ck_assert_int_eq(pb_events_index_add(ix, "h5", &m), 0); /* a known host still goes in */
    s_got_t g = s_replay(ix, "h7", 0, 10);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(g.seqs[0], 8);
    ck_assert_uint_eq(s_replay(ix, "never-heard", 0, 10).n, 0);
    ck_assert_uint_eq(s_replay(ix, "h7", 8, 10).n, 0); /* nothing missed */
    pb_events_index_destroy(&ix);
}
END_TEST

/* A mark whose row the history does not hold, and that is no exit, is skipped. */
START_TEST(rows_the_history_lost_are_skipped)
{
    pb_events_index_t *ix = pb_events_index_new(10);
    pb_events_mark_t live = {5, 5, 9, false};
    ck_assert_int_eq(pb_events_index_add(ix, "h", &live), 0);
    s_add(ix, "h", 6, 9);
    s_got_t g = s_replay(ix, "h", 0, 10);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(g.seqs[0], 6);
    pb_events_index_destroy(&ix);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_events_index");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, the_last_rows_samples_are_kept);
    tcase_add_test(tc, marks_are_bounded_without_samples);
    tcase_add_test(tc, hosts_are_apart_and_bounded);
    tcase_add_test(tc, rows_the_history_lost_are_skipped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
