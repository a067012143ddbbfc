/* Tests of pb_synth: the synthetic frames are well-formed, predictable and can be stored. */
#include "pb_synth.h"

#include "pb_catalog.h"
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

/* Whether value v is of the catalogue's JSON type json. */
static bool s_json_ok(pb_catalog_json_t json, const pb_value_t *v)
{
    pb_type_t t = pb_value_type(v);
    switch (json) {
    case PB_JT_INTEGER:
        return t == PB_UINT || t == PB_INT;
    case PB_JT_NUMBER:
        return t == PB_UINT || t == PB_INT || t == PB_FLOAT;
    case PB_JT_STRING:
        return t == PB_STR;
    case PB_JT_BOOLEAN:
        return t == PB_BOOL;
    case PB_JT_BIN:
        return t == PB_BIN;
    case PB_JT_OBJECT:
        return t == PB_MAP;
    default:
        return t == PB_ARRAY;
    }
}

/* Every key of map (in a frame of type ft, under parent) is catalogued, of its type. */
static void s_check_keys(pb_catalog_frame_t ft, const pb_catalog_field_t *parent,
                         const pb_value_t *map)
{
    for (size_t i = 0; i < pb_value_len(map); i++) {
        const char *key = pb_value_map_key_at(map, i);
        const pb_value_t *v = pb_value_map_value_at(map, i);
        const pb_catalog_field_t *f = pb_catalog_child(ft, parent, key, strlen(key));
        ck_assert_msg(f, "synthetic %s frame: '%s' under '%s' is not catalogued",
                      pb_catalog_frame_name(ft), key, parent ? parent->path : "");
        ck_assert_msg(s_json_ok(f->json, v), "%s: not a %s", f->path,
                      pb_catalog_json_name(f->json));
        if (f->bits & PB_CF_OPEN)
            continue;
        if (f->kind == PB_KIND_MAP)
            s_check_keys(ft, f, v);
        for (size_t k = 0; f->kind == PB_KIND_LIST && k < pb_value_len(v); k++)
            s_check_keys(ft, f, pb_value_array_at(v, k));
    }
}

static int s_catalogued(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    pb_envelope_t env;
    pb_catalog_frame_t ft;
    char err[128];
    (void)topic;
    (void)ts;
    ck_assert_int_eq(pb_frame_envelope(frame, &env, err, sizeof(err)), 0);
    ck_assert_int_eq(pb_catalog_frame_parse(env.type, strlen(env.type), &ft), 0);
    s_check_keys(ft, NULL, frame);
    ++*(size_t *)arg;
    return 0;
}

/* The generator writes its keys by hand (test data): the catalogue keeps them honest. */
START_TEST(every_key_written_is_in_the_catalogue)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 4;
    opts.profiles = 1;
    size_t frames = 0;
    ck_assert_int_eq(pb_synth_generate(&opts, s_catalogued, &frames), 0);
    ck_assert_uint_gt(frames, 4);
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
    tcase_add_test(tc, every_key_written_is_in_the_catalogue);
    tcase_add_test(tc, callback_errors_and_bad_options_stop_generation);
    tcase_add_test(tc, a_run_is_written_to_the_store);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
