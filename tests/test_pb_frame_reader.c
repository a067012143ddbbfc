/* Check suite for pb_frame_reader: real frames, the position cache, bad bytes, bad envelopes,
 * unknown keys, depth, and the fuzz corpus against the tree path. */
#include "pb_codec.h"
#include "pb_frame_oracle.h"
#include "pb_frame_reader.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test_allocs.h"

#define SYS_FRAME PB_FUZZ_DIR "/corpus/codec/544c156c3e54320e" /* a live perfbusd's sys frame */

static char *s_slurp(const char *path, size_t *len_p)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len_p = (size_t)n;
    return buf;
}

/* Encodes a tree (consumed) into a malloc'd buffer. */
static char *s_encode(pb_value_t *tree, size_t *len_p)
{
    char *buf = NULL;
    ck_assert_int_eq(pb_codec_encode(tree, &buf, len_p), 0);
    pb_value_destroy(&tree);
    return buf;
}

static pb_value_t *s_proc(uint64_t pid)
{
    pb_value_t *f = pb_frame_new("proc", "box", "src-1", 7, 1700000000000000000ull);
    pb_value_map_put_uint(f, "pid", pid);
    pb_value_map_put_str(f, "comm", "worker");
    pb_value_map_put_float(f, "interval_s", 1.0);
    pb_value_map_put_bool(f, "first", false);
    pb_value_map_put_float(f, "cpu_pct", 12.5);
    pb_value_map_put_uint(f, "rss_bytes", 4096);
    pb_value_map_put_int(f, "nice", -5);
    pb_value_map_put_uint(f, "ppid", 1); /* an attr: not a number of the history */
    return f;
}

static const pb_frame_number_t *s_number(const pb_frame_view_t *v, const char *path)
{
    for (size_t i = 0; i < v->nnumbers; i++)
        if (strcmp(v->numbers[i].field->path, path) == 0)
            return &v->numbers[i];
    return NULL;
}

static int s_read(pb_frame_reader_t *r, const char *buf, size_t len, const pb_frame_view_t **v,
                  char *err)
{
    return pb_frame_reader_read(r, buf, len, v, err, 160);
}

START_TEST(proc_frame_envelope_identity_numbers)
{
    size_t len;
    char *buf = s_encode(s_proc(4242), &len), err[160] = "";
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    ck_assert_int_eq(s_read(r, buf, len, &v, err), 0);
    ck_assert_int_eq(v->type, PB_FT_PROC);
    ck_assert_str_eq(v->env.type, "proc");
    ck_assert_str_eq(v->env.host, "box");
    ck_assert_str_eq(v->env.src, "src-1");
    ck_assert_uint_eq(v->env.seq, 7);
    ck_assert_uint_eq(v->env.ts, 1700000000000000000ull);
    ck_assert(v->has_pid && v->pid == 4242);
    ck_assert(v->has_comm);
    ck_assert_str_eq(v->comm, "worker");
    ck_assert(!v->first && !v->gone);
    ck_assert_uint_eq(v->nnumbers, 4); /* interval_s, cpu_pct, rss_bytes, nice */
    ck_assert_double_eq(s_number(v, "cpu_pct")->value, 12.5);
    ck_assert_double_eq(s_number(v, "rss_bytes")->value, 4096);
    ck_assert_double_eq(s_number(v, "nice")->value, -5);
    ck_assert_int_eq(s_number(v, "cpu_pct")->field->kind, PB_KIND_RATE);
    ck_assert_ptr_null(s_number(v, "ppid"));
    pb_frame_reader_destroy(&r);
    ck_assert_ptr_null(r);
    pb_frame_reader_destroy(&r);
    free(buf);
}
END_TEST

/* A live sys frame: what the tree holds, and the second read is all cache hits with no allocation.
 */
START_TEST(sys_frame_cached_by_position_without_allocating)
{
    size_t len;
    char *buf = s_slurp(SYS_FRAME, &len), why[256] = "", err[160] = "";
    ck_assert_msg(pb_frame_oracle_check(buf, len, why, sizeof why) == 0, "%s", why);
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    ck_assert_int_eq(s_read(r, buf, len, &v, err), 0);
    ck_assert_int_eq(v->type, PB_FT_SYS);
    ck_assert_uint_gt(v->nnumbers, 50);
    ck_assert_ptr_nonnull(s_number(v, "cpu.total.busy_pct"));
    ck_assert_ptr_nonnull(s_number(v, "mem.used_bytes"));
    ck_assert_ptr_null(s_number(v, "cpu.ncpu"));             /* an attr */
    ck_assert_ptr_null(s_number(v, "cpu.cores[].user_pct")); /* lists are skipped */
    ck_assert_uint_gt(v->skipped, 0);
    uint64_t hits, misses, hits2, misses2;
    pb_frame_reader_stats(r, &hits, &misses);
    ck_assert_uint_gt(misses, 50);
    size_t n = v->nnumbers;
    s_allocs = 0;
    int rc = s_read(r, buf, len, &v, err);
    size_t allocs = s_allocs; /* before any ck_assert: Check allocates */
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(allocs, 0);
    ck_assert_uint_eq(v->nnumbers, n);
    pb_frame_reader_stats(r, &hits2, &misses2);
    ck_assert_uint_eq(misses2, misses);      /* every key found by position */
    ck_assert_uint_eq(hits2 - hits, misses); /* ... as many as were looked up the first time */
    pb_frame_reader_destroy(&r);
    free(buf);
}
END_TEST

/* Another key order (another publisher) misses the cache but reads the same values. */
START_TEST(another_key_order_reads_the_same)
{
    pb_value_t *f = pb_value_map_new();
    pb_value_map_put_float(f, "rss_bytes", 4096);
    pb_value_map_put_float(f, "cpu_pct", 12.5);
    pb_value_map_put_uint(f, "ts", 1700000000000000000ull);
    pb_value_map_put_uint(f, "seq", 7);
    pb_value_map_put_str(f, "src", "src-1");
    pb_value_map_put_str(f, "host", "box");
    pb_value_map_put_uint(f, "pid", 4242);
    pb_value_map_put_str(f, "type", "proc"); /* last: the type is looked for first */
    pb_value_map_put_uint(f, "v", 1);
    size_t len1, len2;
    char *one = s_encode(s_proc(4242), &len1), *two = s_encode(f, &len2), err[160] = "";
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(s_read(r, one, len1, &v, err), 0);
        ck_assert_double_eq(s_number(v, "cpu_pct")->value, 12.5);
        ck_assert_int_eq(s_read(r, two, len2, &v, err), 0);
        ck_assert_int_eq(v->type, PB_FT_PROC);
        ck_assert_uint_eq(v->nnumbers, 2);
        ck_assert_double_eq(s_number(v, "cpu_pct")->value, 12.5);
        ck_assert_double_eq(s_number(v, "rss_bytes")->value, 4096);
        ck_assert(v->has_pid && v->pid == 4242);
    }
    pb_frame_reader_destroy(&r);
    free(one);
    free(two);
}
END_TEST

/* Every prefix of a real frame is truncated: -EBADMSG, never a partial view. */
START_TEST(truncated_frames_are_refused)
{
    size_t len;
    char *buf = s_slurp(SYS_FRAME, &len), err[160] = "";
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    for (size_t n = 0; n < len; n++) {
        err[0] = '\0';
        ck_assert_int_eq(s_read(r, buf, n, &v, err), -EBADMSG);
        ck_assert_msg(err[0], "no reason at %zu bytes", n);
    }
    ck_assert_int_eq(s_read(r, buf, len, &v, err), 0);
    char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = '\0'; /* a trailing byte */
    ck_assert_int_eq(s_read(r, longer, len + 1, &v, err), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "trailing"));
    pb_frame_reader_destroy(&r);
    free(longer);
    free(buf);
}
END_TEST

#define BYTES(lit) lit, sizeof lit - 1

static void s_expect(const char *buf, size_t len, int rc, const char *reason)
{
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    char err[160] = "", why[256] = "";
    ck_assert_int_eq(s_read(r, buf, len, &v, err), rc);
    ck_assert_msg(strstr(err, reason), "reason '%s' lacks '%s'", err, reason);
    ck_assert_msg(pb_frame_oracle_check(buf, len, why, sizeof why) == 0, "%s", why);
    pb_frame_reader_destroy(&r);
}

START_TEST(keys_of_the_wrong_type_and_bad_bytes)
{
    s_expect(BYTES("\x81\x01\x02"), -EBADMSG, "key");          /* an int key */
    s_expect(BYTES("\x81\xc4\x01k\x02"), -EBADMSG, "key");     /* a bin key */
    s_expect(BYTES("\x81\xa1k\xc1"), -EBADMSG, "0xc1");        /* never used */
    s_expect(BYTES("\x81\xa1k\xd4\x01\x02"), -EBADMSG, "ext"); /* an ext type */
    s_expect(BYTES("\x8f\xa1k\x01"), -EBADMSG, "");            /* 15 entries promised */
    s_expect(BYTES("\x91\x01"), -EINVAL, "frame is a array, not a map");
    s_expect(BYTES("\x92\x01"), -EBADMSG, ""); /* an array, truncated: the bytes first */
    s_expect(BYTES(""), -EBADMSG, "");
}
END_TEST

START_TEST(envelope_errors_name_the_key)
{
    const char *keys[] = {"v", "type", "host", "src", "seq", "ts"};
    for (int drop = 0; drop < 6; drop++) {
        pb_value_t *f = pb_value_map_new();
        for (int k = 0; k < 6; k++) {
            if (k == drop)
                continue;
            if (k >= 1 && k <= 3)
                pb_value_map_put_str(f, keys[k], k == 1 ? "sys" : "box");
            else
                pb_value_map_put_uint(f, keys[k], 1700000000000000000ull);
        }
        size_t len;
        char *buf = s_encode(f, &len), reason[64];
        snprintf(reason, sizeof reason, "missing key '%s'", keys[drop]);
        s_expect(buf, len, -EINVAL, reason);
        free(buf);
    }
    pb_value_t *f = pb_frame_new("sys", "", "src-1", 1, 1700000000000000000ull);
    size_t len;
    char *buf = s_encode(f, &len);
    s_expect(buf, len, -EINVAL, "'host' is not a non-empty string");
    free(buf);
    f = pb_frame_new("sys", "box", "src-1", 1, 1);
    pb_value_map_put_int(f, "seq", -1);
    buf = s_encode(f, &len);
    s_expect(buf, len, -EINVAL, "'seq' is not an unsigned integer");
    free(buf);
}
END_TEST

/* Stricter than the tree: a host over 255 bytes, a NUL in comm. Bad UTF-8 becomes U+FFFD. */
START_TEST(texts_are_bounded_and_sanitized)
{
    char host[300];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    size_t len;
    char *buf = s_encode(pb_frame_new("sys", host, "s", 1, 1), &len);
    s_expect(buf, len, -EINVAL, "'host' is longer than 255 bytes");
    free(buf);
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    char err[160];
    /* {v:1, type:"hb", host:"a\xff", src:"s", seq:1, ts:1}, host's byte not UTF-8 */
    ck_assert_int_eq(s_read(r,
                            BYTES("\x86\xa1v\x01\xa4type\xa2hb\xa4host\xa2"
                                  "a\xff\xa3src\xa1s\xa3seq\x01\xa2ts\x01"),
                            &v, err),
                     0);
    ck_assert_str_eq(v->host, "a\xef\xbf\xbd");
    ck_assert_int_eq(v->type, PB_FT_HB);
    pb_frame_reader_destroy(&r);
    s_expect(BYTES("\x87\xa1v\x01\xa4type\xa4proc\xa4host\xa1h\xa3src\xa1s\xa3seq\x01\xa2ts\x01"
                   "\xa4"
                   "comm\xa3"
                   "a\x00"
                   "b"),
             -EINVAL, "'comm' holds a NUL byte");
}
END_TEST

/* Unknown keys, unknown maps, mistyped numbers and types the catalogue lacks are skipped. */
START_TEST(unknown_and_mistyped_keys_are_skipped)
{
    pb_value_t *f = s_proc(9), *extra = pb_value_map_new(), *inner = pb_value_map_new();
    pb_value_map_put_float(inner, "cpu_pct", 99); /* a catalogued name below an unknown map */
    pb_value_map_put(extra, "nested", &inner);
    pb_value_map_put(f, "vendor_extension", &extra);
    pb_value_map_put_uint(f, "unheard_of_total", 5);
    pb_value_map_put_str(f, "majflt_total", "many"); /* catalogued, not a number */
    size_t len;
    char *buf = s_encode(f, &len), err[160], why[256];
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    ck_assert_int_eq(s_read(r, buf, len, &v, err), 0);
    ck_assert_uint_eq(v->nnumbers, 4);
    ck_assert_double_eq(s_number(v, "cpu_pct")->value, 12.5);
    ck_assert_uint_eq(v->mistyped, 1);
    ck_assert_uint_ge(v->skipped, 2);
    ck_assert_msg(pb_frame_oracle_check(buf, len, why, sizeof why) == 0, "%s", why);
    free(buf);
    pb_value_t *custom = pb_frame_new("custom", "box", "s", 1, 1);
    pb_value_map_put_float(custom, "cpu_pct", 5);
    buf = s_encode(custom, &len);
    ck_assert_int_eq(s_read(r, buf, len, &v, err), 0);
    ck_assert_int_eq(v->type, PB_FT_COUNT);
    ck_assert_str_eq(v->env.type, "custom");
    ck_assert_uint_eq(v->nnumbers, 0);
    pb_frame_reader_destroy(&r);
    free(buf);
}
END_TEST

/* 33 nested maps inside a frame, below an unknown key or a catalogued map: refused as bytes. */
START_TEST(nesting_deeper_than_the_limit_is_refused)
{
    const char *head[] = {"\x87\xa1v\x01\xa4type\xa3sys\xa4host\xa1h\xa3src\xa1s\xa3seq\x01\xa2ts"
                          "\x01\xa1x",
                          "\x87\xa1v\x01\xa4type\xa3sys\xa4host\xa1h\xa3src\xa1s\xa3seq\x01\xa2ts"
                          "\x01\xa3"
                          "cpu"};
    for (int k = 0; k < 2; k++) {
        for (int depth = 30; depth <= 33; depth++) {
            char buf[256];
            size_t n = strlen(head[k]);
            memcpy(buf, head[k], n);
            for (int i = 1; i < depth; i++) { /* the frame is depth 1; each {"a": ...} adds one */
                buf[n++] = '\x81';
                buf[n++] = '\xa1';
                buf[n++] = 'a';
            }
            buf[n++] = '\x01';
            int want = depth <= 31 ? 0 : -EBADMSG; /* the innermost scalar at depth <= 32 */
            pb_frame_reader_t *r = pb_frame_reader_new();
            const pb_frame_view_t *v = NULL;
            char err[160] = "", why[256] = "";
            ck_assert_msg(s_read(r, buf, n, &v, err) == want, "%d levels: %s", depth, err);
            ck_assert_msg(pb_frame_oracle_check(buf, n, why, sizeof why) == 0, "%s", why);
            pb_frame_reader_destroy(&r);
        }
    }
}
END_TEST

/* More numbers than the view holds (a hostile frame repeating a key): the rest are skipped. */
START_TEST(numbers_beyond_the_view_are_skipped)
{
    size_t cap = 64 + 20 * 300;
    char *buf = malloc(cap);
    size_t n = 0;
    const char *env = "\xa1v\x01\xa4type\xa3sys\xa4host\xa1h\xa3src\xa1s\xa3seq\x01\xa2ts\x01";
    buf[n++] = '\xde'; /* map16 of 306 entries */
    buf[n++] = (char)(306 >> 8);
    buf[n++] = (char)(306 & 0xff);
    memcpy(buf + n, env, strlen(env));
    n += strlen(env);
    for (int i = 0; i < 300; i++) {
        memcpy(buf + n, "\xaainterval_s\x05", 12);
        n += 12;
    }
    pb_frame_reader_t *r = pb_frame_reader_new();
    const pb_frame_view_t *v = NULL;
    char err[160] = "";
    ck_assert_int_eq(s_read(r, buf, n, &v, err), 0);
    ck_assert_uint_eq(v->nnumbers, PB_FRAME_NUMBERS_MAX);
    ck_assert_uint_eq(v->skipped, 300 - PB_FRAME_NUMBERS_MAX);
    pb_frame_reader_destroy(&r);
    free(buf);
}
END_TEST

/* Every input of the fuzz corpus (tests/fuzz/corpus/frame_reader) agrees with the tree path. */
START_TEST(corpus_agrees_with_the_tree)
{
    DIR *dir = opendir(PB_FUZZ_DIR "/corpus/frame_reader");
    ck_assert_ptr_nonnull(dir);
    size_t files = 0;
    for (struct dirent *de = readdir(dir); de; de = readdir(dir)) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], why[256] = "";
        snprintf(path, sizeof path, "%s/corpus/frame_reader/%s", PB_FUZZ_DIR, de->d_name);
        size_t len;
        char *buf = s_slurp(path, &len);
        ck_assert_msg(pb_frame_oracle_check(buf, len, why, sizeof why) == 0, "%s: %s", de->d_name,
                      why);
        free(buf);
        files++;
    }
    closedir(dir);
    ck_assert_uint_ge(files, 40);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("pb_frame_reader");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, proc_frame_envelope_identity_numbers);
    tcase_add_test(tc, sys_frame_cached_by_position_without_allocating);
    tcase_add_test(tc, another_key_order_reads_the_same);
    tcase_add_test(tc, truncated_frames_are_refused);
    tcase_add_test(tc, keys_of_the_wrong_type_and_bad_bytes);
    tcase_add_test(tc, envelope_errors_name_the_key);
    tcase_add_test(tc, texts_are_bounded_and_sanitized);
    tcase_add_test(tc, unknown_and_mistyped_keys_are_skipped);
    tcase_add_test(tc, nesting_deeper_than_the_limit_is_refused);
    tcase_add_test(tc, numbers_beyond_the_view_are_skipped);
    tcase_add_test(tc, corpus_agrees_with_the_tree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(s_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
