/* Tests of pb_synth: the synthetic frames are well-formed, predictable and can be stored. */
#include "pb_synth.h"

#include "pb_frame.h"
#include "pb_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t frames, sys, proc, hb;
    uint64_t last_seq, last_ts;
} tally_t;

static int s_tally(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    tally_t *t = arg;
    pb_envelope_t env;
    char err[128];
    ck_assert_int_eq(pb_frame_envelope(frame, &env, err, sizeof(err)), 0);
    ck_assert_uint_eq(env.ts, ts);
    ck_assert_uint_ge(ts, t->last_ts);
    ck_assert(t->frames == 0 || env.seq > t->last_seq);
    ck_assert_int_eq(strncmp(topic, env.type, strlen(env.type)), 0);
    t->sys += strcmp(env.type, "sys") == 0;
    t->proc += strcmp(env.type, "proc") == 0;
    t->hb += strcmp(env.type, "hb") == 0;
    t->frames++;
    t->last_seq = env.seq;
    t->last_ts = ts;
    return 0;
}

START_TEST(frames_come_in_order_with_envelopes)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 10;
    opts.procs = 4;
    opts.lose_every = 7;
    tally_t t = {0};
    ck_assert_int_eq(pb_synth_generate(&opts, s_tally, &t), 0);
    ck_assert_uint_eq(t.frames, 60);
    ck_assert_uint_eq(t.sys, 10);
    ck_assert_uint_eq(t.proc, 40);
    ck_assert_uint_eq(t.hb, 10);
    ck_assert_uint_eq(t.last_seq, 59 + 8); /* 8 numbers skipped before the last frame */
}
END_TEST

static int s_stop(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    (void)topic;
    (void)frame;
    (void)ts;
    return ++*(int *)arg == 3 ? -ECANCELED : 0;
}

START_TEST(callback_errors_and_bad_options_stop_generation)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    int calls = 0;
    ck_assert_int_eq(pb_synth_generate(&opts, s_stop, &calls), -ECANCELED);
    ck_assert_int_eq(calls, 3);
    opts.interval_s = 0;
    ck_assert_int_eq(pb_synth_generate(&opts, s_stop, &calls), -EINVAL);
}
END_TEST

START_TEST(a_run_is_written_to_the_store)
{
    char store[] = "/tmp/pb_synth_XXXXXX", dir[4096], cmd[128];
    ck_assert_ptr_nonnull(mkdtemp(store));
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    ck_assert_int_eq(pb_synth_write(&opts, store, dir, sizeof(dir)), 0);
    pb_run_t *run = pb_run_new(dir);
    ck_assert_ptr_nonnull(run);
    pb_record_t rec;
    size_t n = 0;
    while (pb_run_next(run, &rec) == 1)
        n++;
    ck_assert_uint_eq(n, 60 * 5);
    pb_run_destroy(&run);
    ck_assert_int_eq(pb_synth_write(&opts, "/proc/no-store-here", dir, sizeof(dir)) < 0, 1);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", store);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_synth");
    TCase *tc = tcase_create("synth");
    tcase_add_test(tc, frames_come_in_order_with_envelopes);
    tcase_add_test(tc, callback_errors_and_bad_options_stop_generation);
    tcase_add_test(tc, a_run_is_written_to_the_store);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
