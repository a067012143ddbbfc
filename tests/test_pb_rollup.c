/* Unit tests of pb_rollup: buckets of a synthetic run agree exactly with the frames, the file. */
#include "pb_rollup.h"

#include "pb_rollmark.h"

#include "pb_codec.h"
#include "pb_frame_reader.h"
#include "pb_synth.h"
#include "pb_test_rollup.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NB            200      /* buckets of the exact reference, per resolution */
#define S_RECV_LAG_NS 5000000u /* each frame is "received" 5 ms after its ts */

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
    ck_assert_int_eq(pb_rollup_add(s_rollup, ts + S_RECV_LAG_NS, buf, len), 0);
    s_reference(buf, len);
    free(buf);
    return 0;
}

static int s_check(const pb_rollup_series_t *s, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)arg;
    ck_assert_str_eq(s->host, "synth");
    for (int k = 0; k < 2; k++) {
        s_ref_t *ref = &s_refs[k];
        if (s->type != ref->type || s->pid != ref->pid || strcmp(s->field, ref->field) != 0)
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

static int s_count(const pb_rollup_series_t *s, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    (void)s, (void)coarse, (void)b;
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
    ck_assert_int_eq(pb_rollup_add(s_rollup, 1, "x", 1), 0);    /* not msgpack */
    ck_assert_int_eq(pb_rollup_add(s_rollup, 1, "\x80", 1), 0); /* not a frame */
    ck_assert_uint_eq(pb_rollup_series(s_rollup), 0);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    int n = 0;
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), 0);
    ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- version 2's sections and spans; version 1 still read ---- */

/* Every bucket read back, as text lines, for comparing two files. */
typedef struct {
    char *text;
    size_t len, cap;
} s_dump_t;

static int s_dump(const pb_rollup_series_t *s, int coarse, const pb_rollup_bucket_t *b, void *arg)
{
    s_dump_t *d = arg;
    char line[512];
    int n = snprintf(line, sizeof line, "%s %d %llu %s %s %d %d %llu %a %a %a %llu %a\n", s->host,
                     s->type, (unsigned long long)s->pid, s->comm, s->field, s->kind, coarse,
                     (unsigned long long)b->start_s, b->min, b->max, b->sum,
                     (unsigned long long)b->count, b->last);
    ck_assert_int_lt(n, (int)sizeof line);
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->len + (size_t)n + 1) * 2;
        d->text = realloc(d->text, d->cap);
        ck_assert_ptr_nonnull(d->text);
    }
    memcpy(d->text + d->len, line, (size_t)n + 1);
    d->len += (size_t)n;
    return 0;
}

static int s_qsort_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of d, sorted (version 1 gives a series' fine then coarse buckets, version 2
 * every coarse bucket first), as one string the caller frees. */
static char *s_sorted(s_dump_t *d)
{
    size_t n = 0;
    char **lines = NULL;
    for (char *save = NULL, *l = strtok_r(d->text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        lines = realloc(lines, (n + 1) * sizeof *lines);
        lines[n++] = l;
    }
    qsort(lines, n, sizeof *lines, s_qsort_cmp);
    size_t size = d->len + n + 1;
    char *out = calloc(1, size);
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(lines);
    return out;
}

START_TEST(version_1_files_still_read_the_same)
{
    /* tests/fixtures/rollup-v1.pbr: written by the version 1 writer for perfbus-synth
     * --samples 600 --procs 2, the same frames as these */
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 600;
    opts.procs = 2;
    ck_assert_int_eq(pb_synth_generate(&opts, s_frame, NULL), 0);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    s_dump_t v1 = {0}, v2 = {0};
    ck_assert_int_eq(pb_rollup_read(PB_FIXTURES "/rollup-v1.pbr", s_dump, &v1), 0);
    ck_assert_int_eq(pb_rollup_read(s_path, s_dump, &v2), 0);
    ck_assert_uint_gt(v1.len, 1000);
    char *a = s_sorted(&v1), *b = s_sorted(&v2);
    ck_assert_str_eq(a, b);
    free(a), free(b), free(v1.text), free(v2.text);
    pb_rollup_reader_t *r = pb_rollup_reader_new();
    ck_assert_int_eq(pb_rollup_reader_open(r, PB_FIXTURES "/rollup-v1.pbr"), 0);
    ck_assert_int_eq(pb_rollup_reader_spans(r, NULL, NULL), -ENODATA);
    pb_rollup_reader_destroy(&r);
}
END_TEST

/* want: the coarse buckets only. */
static int s_coarse_only(const pb_rollup_series_t *s, void *arg)
{
    (void)s, (void)arg;
    return 2;
}

/* want: the fine buckets of sys series only. */
static int s_fine_sys(const pb_rollup_series_t *s, void *arg)
{
    (void)arg;
    return s->type == 1 ? 1 : 0;
}

static int s_no_span(const char *host, const pb_rollup_span_t *sp, size_t n, void *arg)
{
    (void)host, (void)sp, (void)n, (void)arg;
    ck_abort_msg("a damaged section gave spans");
    return 0;
}

START_TEST(a_damaged_section_fails_only_the_reads_that_use_it)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    ck_assert_int_eq(pb_synth_generate(&opts, s_frame, NULL), 0);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_FINE_PROC) + 3, 0);
    int n = 0;
    ck_assert_int_eq(pb_rollup_read_some(s_path, s_coarse_only, s_count, &n), 0);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(pb_rollup_read_some(s_path, s_fine_sys, s_count, &n), 0);
    ck_assert_int_eq(pb_rollup_read(s_path, s_count, &n), -EBADMSG);
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_FINE_PROC) + 3, 0); /* back */
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_COARSE) + 3, 0);
    ck_assert_int_eq(pb_rollup_read_some(s_path, s_fine_sys, s_count, &n), 0);
    ck_assert_int_eq(pb_rollup_read_some(s_path, s_coarse_only, s_count, &n), -EBADMSG);
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_COARSE) + 3, 0); /* back */
    /* the spans and the marks: refused, the buckets still read */
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_SPANS) + 3, 0);
    s_damage(pb_test_rollup_section_at(s_path, PB_ROLLUP_SEC_MARKS) + 3, 0);
    pb_rollup_reader_t *r = pb_rollup_reader_new();
    ck_assert_int_eq(pb_rollup_reader_open(r, s_path), 0);
    ck_assert_int_eq(pb_rollup_reader_spans(r, s_no_span, NULL), -EBADMSG);
    static const pb_rollmark_fns_t none = {NULL, NULL, NULL};
    ck_assert_int_eq(pb_rollup_reader_marks(r, &none, NULL), -EBADMSG);
    ck_assert_int_eq(pb_rollup_reader_buckets(r, NULL, s_count, &n), 0);
    pb_rollup_reader_destroy(&r);
}
END_TEST

typedef struct {
    size_t hosts, spans;
} s_spans_seen_t;

static int s_spans(const char *host, const pb_rollup_span_t *sp, size_t n, void *arg)
{
    s_spans_seen_t *seen = arg;
    ck_assert_str_eq(host, "synth");
    seen->hosts++;
    seen->spans += n;
    for (size_t i = 0; i < n; i++) {
        /* 1 Hz from a whole minute: each fine bucket holds the frames of 60 seconds */
        ck_assert_uint_eq(sp[i].start_s % PB_ROLLUP_FINE_S, 0);
        ck_assert_uint_ge(sp[i].recv_min_ns, sp[i].start_s * 1000000000u + S_RECV_LAG_NS);
        ck_assert_uint_eq(sp[i].recv_max_ns,
                          (sp[i].start_s + PB_ROLLUP_FINE_S - 1) * 1000000000u + S_RECV_LAG_NS);
        if (i > 0)
            ck_assert_uint_eq(sp[i].start_s, sp[i - 1].start_s + PB_ROLLUP_FINE_S);
    }
    return 0;
}

START_TEST(receive_spans_and_the_segment_are_kept)
{
    pb_synth_opts_t opts;
    pb_synth_defaults(&opts);
    opts.samples = 600;
    ck_assert_int_eq(pb_synth_generate(&opts, s_frame, NULL), 0);
    pb_rollup_set_segment(s_rollup, 2400, 7, 9);
    ck_assert_int_eq(pb_rollup_write(s_rollup, s_path), 0);
    pb_rollup_reader_t *r = pb_rollup_reader_new();
    ck_assert_int_eq(pb_rollup_reader_open(r, s_path), 0);
    uint64_t records = 0, first = 0, last = 0;
    ck_assert_int_eq(pb_rollup_reader_segment(r, &records, &first, &last), 0);
    ck_assert(records == 2400 && first == 7 && last == 9);
    s_spans_seen_t seen = {0};
    ck_assert_int_eq(pb_rollup_reader_spans(r, s_spans, &seen), 0);
    ck_assert_uint_eq(seen.hosts, 1);
    ck_assert_uint_eq(seen.spans, 10);
    pb_rollup_reader_destroy(&r);
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
    tcase_add_test(tc, version_1_files_still_read_the_same);
    tcase_add_test(tc, a_damaged_section_fails_only_the_reads_that_use_it);
    tcase_add_test(tc, receive_spans_and_the_segment_are_kept);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
