/* Unit tests of pb_rollup: buckets of a synthetic run agree exactly with the frames, the file. */
#include "pb_rollup.h"

#include "pb_codec.h"
#include "pb_frame_reader.h"
#include "pb_synth.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NB 200 /* buckets of the exact reference, per resolution */

/* The exact reference for one series, computed from the frames directly. */
typedef struct {
    const char *field;
    int type;
    uint64_t pid;
    pb_rollup_bucket_t want[2][NB];
    size_t n[2];
    size_t seen[2]; /* buckets pb_rollup_read gave back and matched */
} s_ref_t;

static s_ref_t s_refs[2] = {{.field = "cpu.total.user_pct", .type = 1},
                            {.field = "cpu_pct", .type = 2, .pid = 1001}};
static pb_rollup_t *s_rollup;
static pb_frame_reader_t *s_reader;
static char s_path[64];

static void s_setup(void)
{
    strcpy(s_path, "/tmp/pb_rollup_XXXXXX");
    int fd = mkstemp(s_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    s_rollup = pb_rollup_new();
    s_reader = pb_frame_reader_new();
    ck_assert_ptr_nonnull(s_rollup);
    for (int i = 0; i < 2; i++)
        s_refs[i].n[0] = s_refs[i].n[1] = s_refs[i].seen[0] = s_refs[i].seen[1] = 0;
}

static void s_teardown(void)
{
    unlink(s_path);
    pb_rollup_destroy(&s_rollup);
    pb_frame_reader_destroy(&s_reader);
}

static void s_ref_add(s_ref_t *ref, uint64_t ts, double v)
{
    static const uint64_t width[2] = {PB_ROLLUP_FINE_S, PB_ROLLUP_COARSE_S};
    for (int r = 0; r < 2; r++) {
        uint64_t start = ts / 1000000000u / width[r] * width[r];
        size_t n = ref->n[r];
        if (n == 0 || ref->want[r][n - 1].start_s != start) {
            ck_assert_uint_lt(n, NB);
            ref->want[r][n] = (pb_rollup_bucket_t){start, 0, INFINITY, -INFINITY, 0, 0};
            ref->n[r] = ++n;
        }
        pb_rollup_bucket_t *b = &ref->want[r][n - 1];
        b->count++;
        b->sum += v;
        b->min = fmin(b->min, v);
        b->max = fmax(b->max, v);
        b->last = v;
    }
}

static void s_reference(const void *buf, size_t len)
{
    const pb_frame_view_t *v = NULL;
    ck_assert_int_eq(pb_frame_reader_read(s_reader, buf, len, &v, NULL, 0), 0);
    for (int k = 0; k < 2; k++) {
        s_ref_t *ref = &s_refs[k];
        int type = v->type == PB_FT_SYS ? 1 : v->type == PB_FT_PROC ? 2 : 0;
        if (type != ref->type || (type == 2 && v->pid != ref->pid))
            continue;
        for (size_t i = 0; i < v->nnumbers; i++)
            if (strcmp(v->numbers[i].field->path, ref->field) == 0 && isfinite(v->numbers[i].value))
                s_ref_add(ref, v->env.ts, v->numbers[i].value);
    }
}

static int s_frame(const char *topic, const pb_value_t *frame, uint64_t ts, void *arg)
{
    (void)topic, (void)ts, (void)arg;
    char *buf;
    size_t len;
    ck_assert_int_eq(pb_codec_encode(frame, &buf, &len), 0);
    ck_assert_int_eq(pb_rollup_add(s_rollup, buf, len), 0);
    s_reference(buf, len);
    free(buf);
    return 0;
}

static int s_check(const char *host, int type, uint64_t pid, const char *comm, const char *field,
                   int kind, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)comm, (void)kind, (void)arg;
    ck_assert_str_eq(host, "synth");
    for (int k = 0; k < 2; k++) {
        s_ref_t *ref = &s_refs[k];
        if (type != ref->type || pid != ref->pid || strcmp(field, ref->field) != 0)
            continue;
        size_t i = ref->seen[coarse]++;
        ck_assert_uint_lt(i, ref->n[coarse]);
        const pb_rollup_bucket_t *w = &ref->want[coarse][i];
        ck_assert_uint_eq(b->start_s, w->start_s);
        ck_assert_uint_eq(b->count, w->count);
        ck_assert(b->min == w->min && b->max == w->max && b->last == w->last);
        ck_assert(b->sum == w->sum); /* same values added in the same order: bit for bit */
    }
    return 0;
}

START_TEST(buckets_agree_exactly_with_the_frames)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 2 * 3600 + 30; /* two hours and a bit: three coarse buckets */
    ck_assert_int_eq(pb_synth_generate(&opts, s_frame, NULL), 0);
    ck_assert_uint_gt(pb_rollup_series(s_rollup), 10);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    ck_assert_int_eq(pb_rollup_read(s_path, s_check, NULL), 0);
    for (int k = 0; k < 2; k++) {
        ck_assert_uint_eq(s_refs[k].n[0], 121);
        ck_assert_uint_eq(s_refs[k].n[1], 3);
        ck_assert_uint_eq(s_refs[k].seen[0], s_refs[k].n[0]);
        ck_assert_uint_eq(s_refs[k].seen[1], s_refs[k].n[1]);
    }
}
END_TEST

static int s_count(const char *host, int type, uint64_t pid, const char *comm, const char *field,
                   int kind, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)host, (void)type, (void)pid, (void)comm, (void)field, (void)kind, (void)coarse, (void)b;
    (*(int *)arg)++;
    return 0;
}

static void s_damage(off_t at, int truncate_it)
{
    int fd = open(s_path, O_RDWR);
    unsigned char c = 0;
    if (truncate_it)
        ck_assert_int_eq(ftruncate(fd, at), 0);
    else {
        ck_assert_int_eq(pread(fd, &c, 1, at), 1);
        c ^= 0x10;
        ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
    }
    close(fd);
}

START_TEST(damaged_files_are_refused)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    ck_assert_int_eq(pb_synth_generate(&opts, s_frame, NULL), 0);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    int n = 0;
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), 0);
    ck_assert_int_gt(n, 0);
    s_damage(PB_ROLLUP_HEAD + 5, 0); /* the compressed body: CRC */
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), -EBADMSG);
    s_damage(PB_ROLLUP_HEAD + 5, 0);
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), 0);
    s_damage(20, 1); /* a cut header */
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), -EBADMSG);
    ck_assert_int_eq(pb_rollup_read("/nonexistent/x.pbr", s_count, &n), -ENOENT);
}
END_TEST

START_TEST(frames_without_numbers_make_no_series)
{
    ck_assert_int_eq(pb_rollup_add(s_rollup, "x", 1), 0);    /* not msgpack */
    ck_assert_int_eq(pb_rollup_add(s_rollup, "\x80", 1), 0); /* not a frame */
    ck_assert_uint_eq(pb_rollup_series(s_rollup), 0);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    int n = 0;
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), 0);
    ck_assert_int_eq(n, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_rollup");
    TCase *tc = tcase_create("rollup");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, buckets_agree_exactly_with_the_frames);
    tcase_add_test(tc, damaged_files_are_refused);
    tcase_add_test(tc, frames_without_numbers_make_no_series);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
