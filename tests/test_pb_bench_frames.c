/* Unit tests of pb_bench_frames: templates from captured frames, patched seq/ts, capture files. */
#include "pb_bench_frames.h"

#include "pb_codec.h"
#include "pb_frame.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_dir[64];
static char s_path[128];

static void s_setup(void)
{
    strcpy(s_dir, "/tmp/pb_bench_frames_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/frames.bin", s_dir);
}

static void s_teardown(void)
{
    unlink(s_path);
    rmdir(s_dir);
}

/* An encoded frame of type `type` as a publisher sends it (small seq and ts,
 * so their msgpack encoding is short: the template must widen them). */
static char *s_encode(const char *type, uint64_t pid, size_t *len)
{
    pb_value_t *f = pb_frame_new(type, "host.example", "src-1", 7, 42);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(pb_value_map_put_float(f, "interval_s", 1.0), 0);
    if (pid)
        ck_assert_int_eq(pb_value_map_put_uint(f, "pid", pid), 0);
    ck_assert_int_eq(pb_value_map_put_str(f, "comm", "demo"), 0);
    char *buf = NULL;
    ck_assert_int_eq(pb_codec_encode(f, &buf, len), 0);
    pb_value_destroy(&f);
    return buf;
}

/* Decodes a stamped template and checks its envelope and pid. */
static void s_check(const pb_bench_frame_t *t, uint64_t seq, uint64_t ts, uint64_t pid)
{
    pb_value_t *f = NULL;
    pb_envelope_t env;
    ck_assert_int_eq(pb_codec_decode(t->payload, t->payload_len, &f, NULL, 0), 0);
    ck_assert_int_eq(pb_frame_envelope(f, &env, NULL, 0), 0);
    ck_assert_uint_eq(env.seq, seq);
    ck_assert_uint_eq(env.ts, ts);
    ck_assert_str_eq(env.host, "benchhost");
    ck_assert_str_eq(env.src, "bench-1");
    uint64_t got = 0;
    if (pid) {
        ck_assert_int_eq(pb_value_map_get_u64(f, "pid", &got), 0);
        ck_assert_uint_eq(got, pid);
    }
    pb_value_destroy(&f);
}

START_TEST(add_and_stamp)
{
    pb_bench_frames_t *t = pb_bench_frames_new("benchhost", "bench-1");
    size_t len;
    char *sys = s_encode("sys", 0, &len);
    ck_assert_int_eq(pb_bench_frames_add(t, sys, len, 0), 0);
    free(sys);
    char *proc = s_encode("proc", 55, &len);
    ck_assert_int_eq(pb_bench_frames_add(t, proc, len, 4242), 0);
    free(proc);
    ck_assert_uint_eq(pb_bench_frames_count(t), 2);
    ck_assert(pb_bench_frames_at(t, 0)->is_sys);
    ck_assert_str_eq(pb_bench_frames_at(t, 0)->topic, "sys.benchhost");
    ck_assert_str_eq(pb_bench_frames_at(t, 1)->topic, "proc.benchhost.4242");
    ck_assert_uint_eq(pb_bench_frames_at(t, 1)->topic_len, strlen("proc.benchhost.4242"));
    s_check(pb_bench_frames_stamp(t, 0, 1ull << 32, 1700000000000000000ull), 1ull << 32,
            1700000000000000000ull, 0);
    s_check(pb_bench_frames_stamp(t, 1, 5, 6), 5, 6, 4242); /* small values stay 8-byte wide */
    ck_assert_ptr_null(pb_bench_frames_stamp(t, 2, 1, 1));
    ck_assert_ptr_null(pb_bench_frames_at(t, 2));
    ck_assert(pb_bench_frames_mean_bytes(t) > 20);
    pb_bench_frames_destroy(&t);
    ck_assert_ptr_null(t);
    pb_bench_frames_destroy(&t);
}
END_TEST

START_TEST(add_refuses_what_is_not_a_sys_or_proc_frame)
{
    pb_bench_frames_t *t = pb_bench_frames_new("benchhost", "bench-1");
    ck_assert_int_eq(pb_bench_frames_add(t, "\xc1", 1, 0), -EBADMSG); /* not msgpack */
    ck_assert_int_eq(pb_bench_frames_add(t, "\x01", 1, 0), -EBADMSG); /* no envelope */
    size_t len;
    char *hb = s_encode("hb", 0, &len);
    ck_assert_int_eq(pb_bench_frames_add(t, hb, len, 0), -EINVAL);
    free(hb);
    char *proc = s_encode("proc", 0, &len); /* a proc frame without a pid */
    ck_assert_int_eq(pb_bench_frames_add(t, proc, len, 0), -EBADMSG);
    free(proc);
    ck_assert_uint_eq(pb_bench_frames_count(t), 0);
    ck_assert(pb_bench_frames_mean_bytes(t) == 0);
    pb_bench_frames_destroy(&t);
}
END_TEST

/* Saves a sys and a proc frame as a capture file. */
static void s_save_capture(void)
{
    size_t lens[2];
    char *sys = s_encode("sys", 0, &lens[0]), *proc = s_encode("proc", 99, &lens[1]);
    const void *payloads[2] = {sys, proc};
    ck_assert_int_eq(pb_bench_frames_save_raw(s_path, payloads, lens, 2), 0);
    free(sys);
    free(proc);
}

START_TEST(load_expands_the_processes)
{
    s_save_capture();
    pb_bench_frames_t *t = pb_bench_frames_load(s_path, 3, "benchhost", "bench-1");
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(pb_bench_frames_count(t), 4);
    ck_assert(pb_bench_frames_at(t, 0)->is_sys);
    for (size_t i = 1; i < 4; i++) {
        char topic[64];
        snprintf(topic, sizeof topic, "proc.benchhost.%zu", 4000000 + i - 1);
        ck_assert_str_eq(pb_bench_frames_at(t, i)->topic, topic);
        s_check(pb_bench_frames_stamp(t, i, 10 + i, 20), 10 + i, 20, 4000000 + i - 1);
    }
    pb_bench_frames_destroy(&t);
}
END_TEST

START_TEST(load_reports_missing_and_damaged_files)
{
    errno = 0;
    ck_assert_ptr_null(pb_bench_frames_load("/nonexistent/frames.bin", 1, "h", "s"));
    ck_assert_int_eq(errno, ENOENT);
    s_save_capture();
    ck_assert_int_eq(truncate(s_path, 30), 0); /* a torn second record */
    ck_assert_ptr_null(pb_bench_frames_load(s_path, 1, "h", "s"));
    ck_assert_int_eq(errno, EBADMSG);
    size_t len;
    char *sys = s_encode("sys", 0, &len);
    const void *payloads[1] = {sys};
    ck_assert_int_eq(pb_bench_frames_save_raw(s_path, payloads, &len, 1), 0); /* no proc frame */
    free(sys);
    ck_assert_ptr_null(pb_bench_frames_load(s_path, 1, "h", "s"));
    ck_assert_int_eq(errno, EBADMSG);
    ck_assert_int_eq(pb_bench_frames_save_raw("/nonexistent/x", payloads, &len, 1), -ENOENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_bench_frames");
    TCase *tc = tcase_create("frames");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, add_and_stamp);
    tcase_add_test(tc, add_refuses_what_is_not_a_sys_or_proc_frame);
    tcase_add_test(tc, load_expands_the_processes);
    tcase_add_test(tc, load_reports_missing_and_damaged_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
