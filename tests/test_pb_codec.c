/* Check suite for pb_codec: msgpack round trips and every way a payload can be bad. */
#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_json.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Encodes, decodes and compares through the JSON rendering. */
static void s_assert_round_trip(const pb_value_t *v)
{
    char *buf;
    size_t len;
    ck_assert_int_eq(pb_codec_encode(v, &buf, &len), 0);
    pb_value_t *back = NULL;
    char err[128] = "";
    ck_assert_int_eq(pb_codec_decode(buf, len, &back, err, sizeof err), 0);
    char *a = pb_json_encode(v, 0), *b = pb_json_encode(back, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(buf);
    pb_value_destroy(&back);
}

static pb_value_t *s_frame(const char *type)
{
    return pb_frame_new(type, "host-1", "perfbusd-abc", 41, 1763900000123456789ull);
}

START_TEST(round_trips_every_value_type)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_t *arr = pb_value_array_new();
    pb_value_t *item = pb_value_nil_new();
    pb_value_array_push(arr, &item);
    item = pb_value_bin_new("\x00\xff", 2);
    pb_value_array_push(arr, &item);
    pb_value_map_put(m, "list", &arr);
    pb_value_map_put_bool(m, "yes", true);
    pb_value_map_put_int(m, "neg", INT64_MIN);
    pb_value_map_put_uint(m, "big", UINT64_MAX);
    pb_value_map_put_float(m, "pi", 3.14159265358979);
    pb_value_map_put_str(m, "utf8", "caf\xc3\xa9 \xe2\x82\xac");
    s_assert_round_trip(m);
    pb_value_destroy(&m);
}
END_TEST

START_TEST(round_trips_each_frame_type)
{
    pb_value_t *sys = s_frame("sys");
    pb_value_t *cpu = pb_value_map_new();
    pb_value_map_put_uint(cpu, "ncpu", 2);
    pb_value_map_put(sys, "cpu", &cpu);
    pb_value_map_put_float(sys, "interval_s", 1.0);
    pb_value_map_put_bool(sys, "first", false);
    s_assert_round_trip(sys);
    pb_value_destroy(&sys);

    pb_value_t *proc = s_frame("proc");
    pb_value_map_put_uint(proc, "pid", 4242);
    pb_value_map_put_str(proc, "comm", "my (odd) proc");
    pb_value_map_put_int(proc, "nice", -5);
    pb_value_map_put_float(proc, "cpu_pct", 150.5);
    s_assert_round_trip(proc);
    pb_value_destroy(&proc);

    pb_value_t *hb = s_frame("hb");
    pb_value_map_put_str(hb, "version", PB_VERSION);
    pb_value_map_put_float(hb, "uptime_s", 12.5);
    s_assert_round_trip(hb);
    pb_value_destroy(&hb);
}
END_TEST

static int s_decode(const char *bytes, size_t len, char *err, size_t errlen)
{
    pb_value_t *v = (pb_value_t *)1; /* must be reset to NULL on failure */
    int rc = pb_codec_decode(bytes, len, &v, err, errlen);
    if (rc < 0)
        ck_assert_ptr_null(v);
    pb_value_destroy(&v);
    return rc;
}

START_TEST(rejects_truncated_and_garbage)
{
    char err[128];
    ck_assert_int_eq(s_decode("\x82\xa1"
                              "a",
                              3, err, sizeof err),
                     -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    ck_assert_int_eq(s_decode("\xc1", 1, err, sizeof err), -EBADMSG); /* never-used byte */
    ck_assert_ptr_nonnull(strstr(err, "malformed"));
    ck_assert_int_eq(s_decode("", 0, err, sizeof err), -EBADMSG);
    ck_assert_str_eq(err, "empty payload");
    ck_assert_int_eq(s_decode("\x01\x02", 2, err, sizeof err), -E2BIG);
    ck_assert_int_eq(s_decode("\x81\x01\x02", 3, err, sizeof err), -EBADMSG); /* int key */
    ck_assert_int_eq(s_decode("\xd4\x01\x00", 3, NULL, 0), -EBADMSG);         /* ext type */
}
END_TEST

START_TEST(rejects_deep_nesting)
{
    char deep[200];
    memset(deep, 0x91, sizeof deep - 1); /* fixarray of one element, nested */
    deep[sizeof deep - 1] = 0x00;
    char err[128];
    ck_assert_int_eq(s_decode(deep, sizeof deep, err, sizeof err), -ELOOP);
    ck_assert_ptr_nonnull(strstr(err, "deeper"));
    /* 32 levels is the limit, inclusive */
    ck_assert_int_eq(s_decode(deep + sizeof deep - 32, 32, err, sizeof err), 0);
    ck_assert_int_eq(s_decode(deep + sizeof deep - 34, 34, err, sizeof err), -ELOOP);
}
END_TEST

/* Encodes v and decodes it back (the tree is the caller's to free). */
static pb_value_t *s_encode_decode(const pb_value_t *v, char **buf_p, size_t *len_p)
{
    pb_value_t *back = NULL;
    ck_assert_int_eq(pb_codec_encode(v, buf_p, len_p), 0);
    ck_assert_int_eq(pb_codec_decode(*buf_p, *len_p, &back, NULL, 0), 0);
    return back;
}

static void s_assert_bytes(const pb_value_t *v, const char *expected, size_t expected_len)
{
    const void *data;
    size_t len;
    ck_assert_int_eq(pb_value_get_bytes(v, &data, &len), 0);
    ck_assert_uint_eq(len, expected_len);
    ck_assert(memcmp(data, expected, len) == 0);
}

START_TEST(encode_replaces_invalid_utf8_in_str)
{
    /* a comm cut inside a character, an overlong '/', a surrogate, above U+10FFFF */
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"abcdefghijklm\xe2\x82", "abcdefghijklm\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80!", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},
        {"ok \xff end", "ok \xef\xbf\xbd end"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pb_value_t *v = pb_value_str_new(cases[i].in), *back;
        char *buf;
        size_t len;
        back = s_encode_decode(v, &buf, &len);
        s_assert_bytes(back, cases[i].out, strlen(cases[i].out));
        free(buf);
        pb_value_destroy(&back);
        pb_value_destroy(&v);
    }
}
END_TEST

START_TEST(encode_replaces_invalid_utf8_in_keys_and_nested_str)
{
    pb_value_t *m = pb_value_map_new(), *arr = pb_value_array_new();
    pb_value_t *item = pb_value_strn_new("x\x80y", 3);
    pb_value_array_push(arr, &item);
    pb_value_map_put(m, "list", &arr);
    pb_value_map_put_uint(m, "k\xfe", 1);
    char *buf;
    size_t len;
    pb_value_t *back = s_encode_decode(m, &buf, &len);
    s_assert_bytes(pb_value_array_at(pb_value_map_get(back, "list"), 0), "x\xef\xbf\xbdy", 5);
    ck_assert_str_eq(pb_value_map_key_at(back, 1), "k\xef\xbf\xbd");
    free(buf);
    pb_value_destroy(&back);
    pb_value_destroy(&m);
}
END_TEST

START_TEST(encode_keeps_valid_str_and_any_bin_as_they_are)
{
    pb_value_t *s = pb_value_str_new("caf\xc3\xa9");
    char *buf;
    size_t len;
    ck_assert_int_eq(pb_codec_encode(s, &buf, &len), 0);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(buf,
                     "\xa5"
                     "caf\xc3\xa9",
                     6) == 0); /* fixstr, bytes untouched */
    free(buf);
    pb_value_destroy(&s);
    pb_value_t *b = pb_value_bin_new("\xff\xc0\xaf", 3);
    pb_value_t *back = s_encode_decode(b, &buf, &len);
    ck_assert_int_eq(pb_value_type(back), PB_BIN);
    s_assert_bytes(back, "\xff\xc0\xaf", 3);
    free(buf);
    pb_value_destroy(&back);
    pb_value_destroy(&b);
}
END_TEST

/* Issue 9, defect 7: headers that claim more than the bytes remaining are
 * refused as truncated before anything is allocated (the SANITIZE=1 build
 * died on `dd ff ff ff ff`, release builds answered -ELOOP). */
START_TEST(refuses_lying_headers_before_allocating)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *header;
    } cases[] = {
        {"\xdd\xff\xff\xff\xff", 5, "array32"},
        {"\xdf\xff\xff\xff\xff", 5, "map32"},
        {"\xdb\xff\xff\xff\xff", 5, "str32"},
        {"\xc6\xff\xff\xff\xff", 5, "bin32"},
        {"\xde\xff\xff\x01", 4, "map16"},
        {"\xdc\x00\x03\x01\x02", 5, "array16"}, /* 3 items, 2 bytes */
        {"\x91\xdd\x7f\xff\xff\xff", 6, "array32"},
        {"\x81\xa1k\xdb\x00\x00\x10\x00xy", 10, "str32"},
        {"\xdd\xff\xff", 3, "array32"}, /* the header itself is cut */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[192] = "";
        ck_assert_int_eq(s_decode(cases[i].bytes, cases[i].len, err, sizeof err), -EBADMSG);
        ck_assert_msg(strstr(err, "truncated") && strstr(err, cases[i].header), "case %zu: %s", i,
                      err);
    }
}
END_TEST

/* Issue 9, defect 7: `81 a0 c0` (an empty key) hit memchr(NULL, 0, 0). An
 * empty string is a valid msgpack key and decodes to the key "". */
START_TEST(empty_map_key_decodes)
{
    pb_value_t *v = NULL;
    ck_assert_int_eq(pb_codec_decode("\x81\xa0\xc0", 3, &v, NULL, 0), 0);
    ck_assert_uint_eq(pb_value_len(v), 1);
    ck_assert_str_eq(pb_value_map_key_at(v, 0), "");
    ck_assert_int_eq(pb_value_type(pb_value_map_get(v, "")), PB_NIL);
    pb_value_destroy(&v);
    ck_assert_int_eq(pb_codec_decode("\xa0", 1, &v, NULL, 0), 0); /* empty str value */
    ck_assert_uint_eq(pb_value_len(v), 0);
    pb_value_destroy(&v);
    ck_assert_int_eq(pb_codec_decode("\xc4\x00", 2, &v, NULL, 0), 0); /* empty bin */
    pb_value_destroy(&v);
}
END_TEST

START_TEST(refuses_bad_keys_and_ext_with_offsets)
{
    char err[192];
    ck_assert_int_eq(s_decode("\x81\xc4\x01k\x01", 5, err, sizeof err), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "map key at offset 1"));
    ck_assert_int_eq(s_decode("\x92\x01\xd4\x01\x00", 5, err, sizeof err), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "fixext1 at offset 2"));
    char key[300] = "\x81\xd9\xff";
    memset(key + 3, 'k', 255);
    key[258] = '\xc0';
    ck_assert_int_eq(s_decode(key, 259, err, sizeof err), 0); /* 255 bytes: the longest key */
    key[2] = 0; /* str8 of 0 bytes followed by junk: trailing bytes */
    ck_assert_int_eq(s_decode(key, 259, err, sizeof err), -E2BIG);
}
END_TEST

/* A key holding a NUL byte was refused only after msgpack-c had built the
 * object graph, with a generic reason; the pre-scan (pb_mpread) now names it
 * and its offset, before anything is allocated. */
START_TEST(refuses_nul_in_keys_with_offset)
{
    char err[192] = "";
    ck_assert_int_eq(s_decode("\x82\xa1k\x01\xa2k\x00\x02", 8, err, sizeof err), -EBADMSG);
    ck_assert_str_eq(err, "malformed msgpack: map key at offset 4 holds a NUL byte");
    ck_assert_int_eq(s_decode("\x81\xa2k\x00\x02", 5, err, sizeof err), -EBADMSG);
    ck_assert_int_eq(s_decode("\x81\xa2kk\x02", 5, err, sizeof err), 0);
}
END_TEST

/* A map of n keys "k0000000".. with nil values, as raw msgpack. */
static char *s_big_map(size_t n, size_t *len_p)
{
    char *buf = malloc(5 + n * 10);
    size_t len = 0;
    buf[len++] = '\xdf';
    for (int shift = 24; shift >= 0; shift -= 8)
        buf[len++] = (char)((n >> shift) & 0xff);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "k%07zu", i % 10000000);
        buf[len++] = '\xa8';
        memcpy(buf + len, key, 8);
        len += 8;
        buf[len++] = '\xc0';
    }
    *len_p = len;
    return buf;
}

static double s_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds to decode a map of n keys: the best of a few runs. */
static double s_decode_cpu(size_t n)
{
    size_t len;
    char *buf = s_big_map(n, &len);
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        pb_value_t *v = NULL;
        double t0 = s_cpu_now();
        ck_assert_int_eq(pb_codec_decode(buf, len, &v, NULL, 0), 0);
        double dt = s_cpu_now() - t0;
        ck_assert_uint_eq(pb_value_len(v), n);
        pb_value_destroy(&v);
        best = dt < best ? dt : best;
    }
    free(buf);
    return best;
}

/* Issue 9, defect 2: decoding a map was quadratic (a 1 MiB map of 160 k keys
 * took 5-8 s of CPU). 16 times the keys must cost about 16 times the CPU,
 * not 256 times; the bound (64x) leaves room for cache effects and noise. */
START_TEST(map_decode_is_linear)
{
    double small = s_decode_cpu(10000), big = s_decode_cpu(160000);
    fprintf(stderr, "map decode CPU: 10 k keys %.4f s, 160 k keys %.4f s (x%.1f)\n", small, big,
            big / (small > 0 ? small : 1e-9));
    ck_assert_double_lt(big, 64 * (small > 1e-4 ? small : 1e-4));
    ck_assert_double_lt(big, 2.0);
}
END_TEST

/* Issue 9, defect 7: the object limit is checked at the container header,
 * before the objects are walked or allocated. */
START_TEST(object_limit_is_explicit)
{
    pb_codec_limits_t lim = {.max_bytes = 0, .max_objects = 9, .max_depth = PB_CODEC_MAX_DEPTH};
    pb_value_t *v = NULL;
    char err[192] = "";
    size_t len;
    char *buf = s_big_map(4, &len); /* 1 map + 8 objects */
    ck_assert_int_eq(pb_codec_decode_limited(buf, len, &lim, &v, err, sizeof err), 0);
    pb_value_destroy(&v);
    free(buf);
    buf = s_big_map(5, &len);
    ck_assert_int_eq(pb_codec_decode_limited(buf, len, &lim, &v, err, sizeof err), -EOVERFLOW);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(err, "more than 9"));
    free(buf);
    buf = s_big_map(100000, &len); /* under 1 MiB: refused for its objects, not its size */
    ck_assert_int_eq(
        pb_codec_decode_limited(buf, len, &pb_codec_request_limits, &v, err, sizeof err),
        -EOVERFLOW);
    ck_assert_int_eq(pb_codec_decode(buf, len, &v, NULL, 0), 0); /* frames: generous */
    pb_value_destroy(&v);
    free(buf);
    lim.max_bytes = 4;
    ck_assert_int_eq(
        pb_codec_decode_limited("\x95\x01\x02\x03\x04\x05", 6, &lim, &v, err, sizeof err),
        -EMSGSIZE);
    lim = (pb_codec_limits_t){.max_objects = 100, .max_depth = 2};
    ck_assert_int_eq(pb_codec_decode_limited("\x91\x01", 2, &lim, &v, err, sizeof err), 0);
    pb_value_destroy(&v);
    ck_assert_int_eq(pb_codec_decode_limited("\x91\x91\x01", 3, &lim, &v, err, sizeof err), -ELOOP);
}
END_TEST

/* A key of 100 invalid bytes decodes to 300 bytes of U+FFFD, past the key limit:
 * refused as malformed, so what decodes always re-encodes to something decodable. */
START_TEST(key_too_long_once_replaced_is_refused)
{
    /* {str8 of 100 x 0xff: nil} */
    char map[3 + 100 + 1] = {(char)0x81, (char)0xd9, 100};
    memset(map + 3, 0xff, 100);
    map[sizeof map - 1] = (char)0xc0;
    char err[128] = "";
    ck_assert_int_eq(s_decode(map, sizeof map, err, sizeof err), -EBADMSG);
    ck_assert(err[0] != '\0');
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trips_every_value_type);
    tcase_add_test(tc, round_trips_each_frame_type);
    tcase_add_test(tc, rejects_truncated_and_garbage);
    tcase_add_test(tc, rejects_deep_nesting);
    tcase_add_test(tc, encode_replaces_invalid_utf8_in_str);
    tcase_add_test(tc, encode_replaces_invalid_utf8_in_keys_and_nested_str);
    tcase_add_test(tc, encode_keeps_valid_str_and_any_bin_as_they_are);
    tcase_add_test(tc, refuses_lying_headers_before_allocating);
    tcase_add_test(tc, empty_map_key_decodes);
    tcase_add_test(tc, refuses_bad_keys_and_ext_with_offsets);
    tcase_add_test(tc, refuses_nul_in_keys_with_offset);
    tcase_add_test(tc, map_decode_is_linear);
    tcase_add_test(tc, object_limit_is_explicit);
    tcase_add_test(tc, key_too_long_once_replaced_is_refused);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
