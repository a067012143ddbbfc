/* Check suite for pb_mpread: every header, every way bytes can lie, the frame walk and its corpus.
 */
#include "pb_codec.h"
#include "pb_mpread.h"
#include "pb_mpread_leaves.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test_allocs.h"

#define BYTES(lit) lit, sizeof lit - 1

/* Reads objects until the top-level one is complete; returns the first error
 * or pb_mpread_finish's verdict. */
static int s_read_all(const void *buf, size_t len, char *err, size_t errlen)
{
    pb_mpread_t rd;
    pb_mpread_item_t item;
    pb_mpread_init(&rd, buf, len, PB_MPREAD_MAX_DEPTH);
    int rc = 0;
    while (rc == 0 && !pb_mpread_done(&rd))
        rc = pb_mpread_next(&rd, &item);
    if (rc == 0)
        rc = pb_mpread_finish(&rd);
    if (err)
        snprintf(err, errlen, "%s", pb_mpread_error(&rd));
    return rc;
}

static int s_count_leaf(const pb_mpread_leaf_t *leaf, void *arg)
{
    (void)leaf;
    ++*(size_t *)arg;
    return 0;
}

/* The file's bytes (malloc'd exactly to size, so ASan sees any overread). */
static char *s_slurp(const char *path, size_t *len_p)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len_p = (size_t)n;
    return buf;
}

/* The biggest sys frame of the codec corpus: a real frame from perfbusd. */
static char *s_sys_frame(size_t *len_p)
{
    return s_slurp(PB_FUZZ_DIR "/corpus/codec/544c156c3e54320e", len_p);
}

/* One array of every msgpack encoding, and what each item reads as. */
static const char s_every_type[] =
    "\xdc\x00\x1f"
    "\x05\xff\xe0\xcc\xff\xcd\x01\x00\xce\x00\x01\x00\x00\xcf\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xd0\x80\xd0\x05\xd1\x80\x00\xd2\x80\x00\x00\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00"
    "\xca\x3f\xc0\x00\x00\xcb\x40\x09\x21\xfb\x54\x44\x2d\x18\xc0\xc2\xc3"
    "\xa3"
    "abc\xd9\x02hi\xda\x00\x01x\xdb\x00\x00\x00\x01y"
    "\xc4\x01\xff\xc5\x00\x00\xc6\x00\x00\x00\x01\x00"
    "\x90\xdc\x00\x00\xdd\x00\x00\x00\x00\x80\xde\x00\x00\xdf\x00\x00\x00\x00\xa0";
static const char *s_every_type_want[] = {
    "uint:5",
    "int:-1",
    "int:-32",
    "uint:255",
    "uint:256",
    "uint:65536",
    "uint:18446744073709551615",
    "int:-128",
    "uint:5",
    "int:-32768",
    "int:-2147483648",
    "int:-9223372036854775808",
    "float:1.5",
    "float:3.1415926535897931",
    "nil:",
    "bool:0",
    "bool:1",
    "str:3:616263",
    "str:2:6869",
    "str:1:78",
    "str:1:79",
    "binary:1:ff",
    "binary:0:",
    "binary:1:00",
    "array:0:",
    "array:0:",
    "array:0:",
    "map:0:",
    "map:0:",
    "map:0:",
    "str:0:",
};

START_TEST(reads_every_type)
{
    pb_mpread_t rd;
    pb_mpread_item_t it;
    pb_mpread_init(&rd, s_every_type, sizeof s_every_type - 1, PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(it.type, PB_ARRAY);
    ck_assert_uint_eq(it.len, 31);
    ck_assert_uint_eq(it.depth, 1);
    for (size_t i = 0; i < sizeof s_every_type_want / sizeof s_every_type_want[0]; i++) {
        char got[64];
        ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
        ck_assert_uint_eq(it.depth, 2);
        ck_assert(!it.is_key);
        bool bytes = it.type == PB_STR || it.type == PB_BIN;
        ck_assert(!bytes || it.data != NULL); /* even when empty */
        leaves_value(got, sizeof got, it.type, it.b, it.i, it.u, it.f, bytes ? it.data : NULL,
                     it.len);
        ck_assert_msg(strcmp(got, s_every_type_want[i]) == 0, "item %zu at offset %zu: %s, want %s",
                      i, it.offset, got, s_every_type_want[i]);
    }
    ck_assert(pb_mpread_done(&rd));
    ck_assert_int_eq(pb_mpread_finish(&rd), 0);
    ck_assert_uint_eq(pb_mpread_offset(&rd), sizeof s_every_type - 1);
    ck_assert_str_eq(pb_mpread_error(&rd), "");
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ENOENT); /* nothing left: not an error */
    ck_assert_int_eq(pb_mpread_finish(&rd), 0);
}
END_TEST

START_TEST(item_offsets_name_the_type_byte)
{
    pb_mpread_t rd;
    pb_mpread_item_t it;
    pb_mpread_init(&rd, BYTES("\x82\xa1k\xcd\x01\x00\xa2kk\x92\xc0\x07"), PB_MPREAD_MAX_DEPTH);
    static const size_t offsets[] = {0, 1, 3, 6, 9, 10, 11};
    static const bool keys[] = {false, true, false, true, false, false, false};
    for (size_t i = 0; i < 7; i++) {
        ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
        ck_assert_uint_eq(it.offset, offsets[i]);
        ck_assert_int_eq(it.is_key, keys[i]);
    }
    ck_assert_uint_eq(it.depth, 3);
    ck_assert_int_eq(pb_mpread_finish(&rd), 0);
}
END_TEST

/* Every proper prefix of an object is an incomplete object: -ENODATA, and
 * never a read past the cut (each prefix is its own exact-size allocation). */
static void s_assert_every_cut(const char *buf, size_t len, bool walk)
{
    for (size_t cut = 0; cut < len; cut++) {
        char *part = malloc(cut ? cut : 1);
        memcpy(part, buf, cut);
        char err[192] = "";
        size_t leaves = 0;
        int rc = walk ? pb_mpread_walk(part, cut, s_count_leaf, &leaves, err, sizeof err)
                      : s_read_all(part, cut, err, sizeof err);
        ck_assert_msg(rc == -ENODATA, "cut at %zu of %zu: %d %s", cut, len, rc, err);
        ck_assert_msg(strstr(err, "truncated") || strstr(err, "not complete"), "cut %zu: %s", cut,
                      err);
        free(part);
    }
}

START_TEST(truncated_at_every_cut_point)
{
    s_assert_every_cut(BYTES("\x83\xa1"
                             "a\x92\x01\xa3xyz\xa1"
                             "b\xde\x00\x01\xa1"
                             "c\xcb\x40\x09\x21\xfb\x54\x44\x2d\x18\xa1"
                             "d\xc5\x00\x02zz"),
                       true);
    s_assert_every_cut(BYTES("\xdd\x00\x00\x00\x02\xdb\x00\x00\x00\x03"
                             "abc\xcf\x00\x00\x00\x00\x00\x00\x00\x01"),
                       false);
    size_t len;
    char *frame = s_sys_frame(&len);
    ck_assert_int_eq(pb_mpread_walk(frame, len, s_count_leaf, &(size_t){0}, NULL, 0), 0);
    s_assert_every_cut(frame, len, true);
    free(frame);
}
END_TEST

START_TEST(refuses_keys_of_the_wrong_type)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } cases[] = {
        {BYTES("\x81\x01\x01"), "map key at offset 1 is a fixint"},
        {BYTES("\x81\xd0\xff\x01"), "map key at offset 1 is a int8"},
        {BYTES("\x81\xc4\x01k\x01"), "map key at offset 1 is a bin8"},
        {BYTES("\x81\x80\x01"), "map key at offset 1 is a fixmap"},
        {BYTES("\x81\x90\x01"), "map key at offset 1 is a fixarray"},
        {BYTES("\x81\xc0\x01"), "map key at offset 1 is a nil"},
        {BYTES("\x81\xca\x00\x00\x00\x00\x01"), "map key at offset 1 is a float32"},
        {BYTES("\x81\xa1"
               "a\x81\xc3\x02"),
         "map key at offset 4 is a true"},
        {BYTES("\x81\xa1"
               "a\x91\x82\xa1"
               "a\x01\x02\x03"),
         "map key at offset 8 is a fixint"},
        {BYTES("\x81\xa2"
               "a\x00\x01"),
         "map key at offset 1 holds a NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[192] = "";
        ck_assert_int_eq(s_read_all(cases[i].bytes, cases[i].len, err, sizeof err), -EBADMSG);
        ck_assert_msg(strstr(err, cases[i].why), "case %zu: %s", i, err);
        size_t leaves = 0;
        int rc = pb_mpread_walk(cases[i].bytes, cases[i].len, s_count_leaf, &leaves, err, 192);
        ck_assert_int_eq(rc, -EBADMSG);
        ck_assert_msg(strstr(err, cases[i].why), "walk case %zu: %s", i, err);
    }
}
END_TEST

START_TEST(keys_up_to_255_bytes)
{
    char key[300] = "\x81\xd9\xff";
    memset(key + 3, 'k', 255);
    key[258] = '\xc0';
    ck_assert_int_eq(s_read_all(key, 259, NULL, 0), 0);
    char big[300] = "\x81\xda\x01\x00";
    memset(big + 4, 'k', 256);
    big[260] = '\xc0';
    char err[192];
    ck_assert_int_eq(s_read_all(big, 261, err, sizeof err), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(err, "map key at offset 1 is 256 bytes; at most 255"));
    ck_assert_int_eq(s_read_all(BYTES("\x81\xa0\x01"), NULL, 0), 0); /* "" is a key */
}
END_TEST

/* n nested one-key maps {"a": {"a": ... 1}}: the leaf is at depth n + 1. */
static char *s_nested_maps(unsigned n, size_t *len_p)
{
    char *buf = malloc(3 * n + 1);
    for (unsigned i = 0; i < n; i++)
        memcpy(buf + 3 * i,
               "\x81\xa1"
               "a",
               3);
    buf[3 * n] = '\x01';
    *len_p = 3 * n + 1;
    return buf;
}

static int s_save_path(const pb_mpread_leaf_t *leaf, void *arg)
{
    snprintf(arg, 128, "%s", leaf->path);
    return 0;
}

START_TEST(refuses_nesting_deeper_than_the_limit)
{
    char deep[40];
    memset(deep, '\x91', sizeof deep);
    deep[sizeof deep - 1] = '\x01';
    char err[192];
    ck_assert_int_eq(s_read_all(deep + sizeof deep - 32, 32, err, sizeof err), 0);
    ck_assert_int_eq(s_read_all(deep + sizeof deep - 33, 33, err, sizeof err), -ELOOP);
    ck_assert_str_eq(err, "payload nested deeper than 32 levels (offset 32)");
    ck_assert_int_eq(s_read_all(deep, sizeof deep, err, sizeof err), -ELOOP);
    size_t len;
    char *maps = s_nested_maps(31, &len), path[128] = "";
    ck_assert_int_eq(pb_mpread_walk(maps, len, s_save_path, path, err, sizeof err), 0);
    ck_assert_uint_eq(strlen(path), 61); /* "a.a. ... a": 31 keys */
    free(maps);
    maps = s_nested_maps(32, &len);
    ck_assert_int_eq(pb_mpread_walk(maps, len, s_save_path, path, err, sizeof err), -ELOOP);
    ck_assert_ptr_nonnull(strstr(err, "deeper than 32"));
    free(maps);
    pb_mpread_t rd;
    pb_mpread_item_t it;
    pb_mpread_init(&rd, BYTES("\x91\x91\x01"), 2);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ELOOP);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ELOOP); /* sticky */
    ck_assert(pb_mpread_done(&rd));
    ck_assert_int_eq(pb_mpread_finish(&rd), -ELOOP);
    pb_mpread_init(&rd, BYTES("\x01"), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ELOOP);
    pb_mpread_init(&rd, deep, sizeof deep, 1000); /* capped at PB_MPREAD_MAX_DEPTH */
    for (int i = 0; i < 32; i++)
        ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ELOOP);
}
END_TEST

START_TEST(refuses_huge_declared_counts_without_allocating)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *header;
    } cases[] = {
        {BYTES("\xdd\xff\xff\xff\xff"), "array32 header at offset 0 declares 4294967295 items"},
        {BYTES("\xdf\xff\xff\xff\xff"), "map32 header at offset 0 declares 4294967295 entries"},
        {BYTES("\xdb\xff\xff\xff\xff"), "str32 header at offset 0 declares 4294967295 bytes"},
        {BYTES("\xc6\xff\xff\xff\xff"), "bin32 header at offset 0 declares 4294967295 bytes"},
        {BYTES("\xde\x00\x02\xa1k\x01"), "map16 header at offset 0 declares 2 entries, 3 bytes"},
        {BYTES("\xdc\x00\x03\x01\x02"), "array16 header at offset 0 declares 3 items, 2 bytes"},
        {BYTES("\x81\xa1k\xdd\x7f\xff\xff\xff"), "array32 header at offset 3"},
        {BYTES("\x81\xa1k\xdb\x00\x00\x10\x00xy"), "str32 header at offset 3 declares 4096"},
        {BYTES("\xdd\xff\xff"), "array32 header at offset 0 needs 5 bytes, 3 remain"},
        {BYTES("\x81\xa1k\xcb\x00"), "float64 at offset 3 needs 8 bytes, 1 remain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[192] = "";
        s_allocs = 0;
        int rc = s_read_all(cases[i].bytes, cases[i].len, err, sizeof err);
        size_t allocs = s_allocs;
        ck_assert_uint_eq(allocs, 0);
        ck_assert_int_eq(rc, -ENODATA);
        ck_assert_msg(strstr(err, "truncated") && strstr(err, cases[i].header), "case %zu: %s", i,
                      err);
    }
}
END_TEST

START_TEST(refuses_ext_types_and_0xc1)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } cases[] = {
        {BYTES("\xd4\x01\x00"), "fixext1 at offset 0"},
        {BYTES("\x92\x01\xd5\x01\x00\x00"), "fixext2 at offset 2"},
        {BYTES("\xd6\x01\x00\x00\x00\x00"), "fixext4"},
        {BYTES("\xd7\x01\x00\x00\x00\x00\x00\x00\x00\x00"), "fixext8"},
        {BYTES("\xd8\x01"), "fixext16"}, /* refused for its type before its length */
        {BYTES("\xc7\x00\x01"), "ext8"},
        {BYTES("\xc8\x00\x00\x01"), "ext16"},
        {BYTES("\xc9\x00\x00\x00\x00\x01"), "ext32"},
        {BYTES("\x81\xa1k\xc1"), "bad type byte 0xc1 at offset 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[192] = "";
        ck_assert_int_eq(s_read_all(cases[i].bytes, cases[i].len, err, sizeof err), -EBADMSG);
        ck_assert_msg(strstr(err, "malformed msgpack") && strstr(err, cases[i].why), "case %zu: %s",
                      i, err);
    }
}
END_TEST

START_TEST(skips_whole_subtrees)
{
    pb_mpread_t rd;
    pb_mpread_item_t it, top, inner;
    pb_mpread_init(&rd,
                   BYTES("\x93\x81\xa1"
                         "a\x93\x01\x02\x81\xa1"
                         "b\x03\x90\x07"),
                   PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &top), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &inner), 0); /* {"a": [1, 2, {"b": 3}]} */
    ck_assert_int_eq(inner.type, PB_MAP);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0); /* "a": a skip from inside works too */
    ck_assert_int_eq(pb_mpread_skip(&rd, &inner), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0); /* [] */
    ck_assert_int_eq(it.type, PB_ARRAY);
    ck_assert_int_eq(pb_mpread_skip(&rd, &it), 0); /* empty: nothing to skip */
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_skip(&rd, &it), 0); /* a scalar: nothing to skip */
    ck_assert_uint_eq(it.u, 7);
    ck_assert_int_eq(pb_mpread_finish(&rd), 0);
    pb_mpread_init(&rd, BYTES("\x92\x92\x01"), PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &top), 0);
    ck_assert_int_eq(pb_mpread_skip(&rd, &top), -ENODATA); /* the error met on the way */
    ck_assert_int_eq(pb_mpread_skip(&rd, &top), -ENODATA);
}
END_TEST

START_TEST(finish_refuses_trailing_bytes_and_unfinished_objects)
{
    pb_mpread_t rd;
    pb_mpread_item_t it;
    pb_mpread_init(&rd, BYTES("\x01\x02"), PB_MPREAD_MAX_DEPTH);
    ck_assert(!pb_mpread_done(&rd));
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert(pb_mpread_done(&rd));
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ENOENT);
    ck_assert_int_eq(pb_mpread_finish(&rd), -E2BIG);
    ck_assert_str_eq(pb_mpread_error(&rd),
                     "trailing bytes after the msgpack object (offset 1 of 2)");
    pb_mpread_init(&rd, BYTES("\x92\x92\x01\x01"), PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_finish(&rd), -ENODATA); /* the caller stopped early */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pb_mpread_next(&rd, &it), 0);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ENODATA); /* the bytes end inside the array */
    ck_assert_str_eq(pb_mpread_error(&rd),
                     "truncated msgpack: ends at offset 4 inside a container");
    ck_assert_uint_eq(pb_mpread_offset(&rd), 4);
    pb_mpread_init(&rd, "", 0, PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &it), -ENODATA);
    ck_assert_str_eq(pb_mpread_error(&rd), "truncated msgpack: ends at offset 0");
}
END_TEST

/* Encodes a tree built by the test; the caller frees the bytes. */
static char *s_encode(pb_value_t **tree_p, size_t *len_p)
{
    char *buf;
    ck_assert_int_eq(pb_codec_encode(*tree_p, &buf, len_p), 0);
    pb_value_destroy(tree_p);
    return buf;
}

static pb_value_t *s_cores_frame(void)
{
    pb_value_t *f = pb_value_map_new(), *cpu = pb_value_map_new(), *cores = pb_value_array_new();
    for (int i = 0; i < 4; i++) {
        pb_value_t *core = pb_value_map_new();
        if (i != 2)
            pb_value_map_put_float(core, "user_pct", 1.5 + i);
        pb_value_array_push(cores, &core);
    }
    pb_value_map_put(cpu, "cores", &cores);
    pb_value_map_put_uint(f, "v", 1);
    pb_value_map_put(f, "cpu", &cpu);
    pb_value_t *m = pb_value_array_new(), *m0 = pb_value_array_new(), *m1 = pb_value_array_new();
    pb_value_t *one = pb_value_int_new(-1), *two = pb_value_str_new("x"),
               *three = pb_value_nil_new();
    pb_value_array_push(m0, &one);
    pb_value_array_push(m0, &two);
    pb_value_array_push(m1, &three);
    pb_value_array_push(m, &m0);
    pb_value_array_push(m, &m1);
    pb_value_map_put(f, "m", &m);
    pb_value_t *e = pb_value_array_new();
    pb_value_map_put(f, "e", &e);
    return f;
}

static int s_check_leaf(const pb_mpread_leaf_t *leaf, void *arg)
{
    ck_assert_uint_eq(leaf->path_hash, pb_mpread_hash(leaf->path, leaf->path_len));
    ck_assert_uint_eq(strlen(leaf->path), leaf->path_len);
    ck_assert_uint_eq(leaf->ordinal, ((leaves_t *)arg)->n);
    return leaves_walk_cb(leaf, arg);
}

START_TEST(walk_names_paths_and_indices)
{
    pb_value_t *tree = s_cores_frame();
    size_t len;
    char *buf = s_encode(&tree, &len);
    static const char *want[] = {
        "v#=uint:1",
        "cpu.cores[].user_pct#0,=float:1.5",
        "cpu.cores[].user_pct#1,=float:2.5",
        "cpu.cores[]#2,=map:0:", /* an empty container is a leaf */
        "cpu.cores[].user_pct#3,=float:4.5",
        "m[][]#0,0,=int:-1",
        "m[][]#0,1,=str:1:78",
        "m[][]#1,0,=nil:",
        "e#=array:0:",
    };
    leaves_t got = {0};
    char err[192] = "";
    ck_assert_int_eq(pb_mpread_walk(buf, len, s_check_leaf, &got, err, sizeof err), 0);
    ck_assert_uint_eq(got.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < got.n; i++)
        ck_assert_str_eq(got.line[i], want[i]);
    ck_assert_uint_eq(pb_mpread_hash("", 0), 0xcbf29ce484222325ull); /* FNV-1a's basis */
    ck_assert_uint_eq(pb_mpread_hash("a", 1), 0xaf63dc4c8601ec8cull);
    leaves_free(&got);
    free(buf);
}
END_TEST

START_TEST(walk_refuses_what_is_not_a_map)
{
    char err[192];
    size_t n = 0;
    ck_assert_int_eq(pb_mpread_walk(BYTES("\x91\x01"), s_count_leaf, &n, err, sizeof err),
                     -EBADMSG);
    ck_assert_str_eq(err, "frame is not a map: the top level is a array");
    ck_assert_int_eq(pb_mpread_walk(BYTES("\x01"), s_count_leaf, &n, err, sizeof err), -EBADMSG);
    ck_assert_int_eq(pb_mpread_walk(BYTES("\x80"), s_count_leaf, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(pb_mpread_walk(BYTES("\x80\x80"), s_count_leaf, &n, NULL, 0), -E2BIG);
}
END_TEST

static int s_stop_at_second(const pb_mpread_leaf_t *leaf, void *arg)
{
    (void)arg;
    return leaf->ordinal == 1 ? 7 : 0;
}

START_TEST(walk_stops_when_the_callback_says)
{
    char err[192];
    ck_assert_int_eq(pb_mpread_walk(BYTES("\x83\xa1"
                                          "a\x01\xa1"
                                          "b\x02\xa1"
                                          "c\x03"),
                                    s_stop_at_second, NULL, err, sizeof err),
                     7);
    ck_assert_str_eq(err, "the leaf callback stopped the walk (7) at offset 6");
}
END_TEST

/* How a column consumer uses the walk: paths it knows are resolved once per
 * leaf position (the publisher's key order) and checked by hash after that;
 * unknown keys reach the callback and are ignored. */
typedef struct {
    uint64_t hash[16];
    int slot[16];
    size_t cached, lookups, ignored;
    double column[2];
} s_columns_t;

static int s_column_of(const char *path)
{
    return strcmp(path, "cpu.busy_pct") == 0 ? 0 : strcmp(path, "load.1m") == 0 ? 1 : -1;
}

static int s_columns_leaf(const pb_mpread_leaf_t *leaf, void *arg)
{
    s_columns_t *c = arg;
    size_t k = leaf->ordinal;
    if (k >= c->cached || c->hash[k] != leaf->path_hash) {
        c->lookups++;
        c->hash[k] = leaf->path_hash;
        c->slot[k] = s_column_of(leaf->path);
        c->cached = k + 1 > c->cached ? k + 1 : c->cached;
    }
    if (c->slot[k] < 0 || leaf->item.type != PB_FLOAT)
        c->ignored++;
    else
        c->column[c->slot[k]] = leaf->item.f;
    return 0;
}

START_TEST(unknown_keys_reach_the_callback)
{
    static const char frame[] = "\x84\xa4type\xa3sys\xa3"
                                "cpu\x82\xa8"
                                "busy_pct\xcb\x40\x16\x00\x00\x00\x00\x00\x00\xa6zz_new\x01"
                                "\xa4load\x81\xa2"
                                "1m\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00\xa5"
                                "extra\x90";
    s_columns_t c = {.cached = 0};
    for (int round = 0; round < 3; round++)
        ck_assert_int_eq(pb_mpread_walk(frame, sizeof frame - 1, s_columns_leaf, &c, NULL, 0), 0);
    ck_assert_uint_eq(c.lookups, 5);     /* once per leaf of the first frame, never again */
    ck_assert_uint_eq(c.ignored, 3 * 3); /* type, zz_new and extra, every round */
    ck_assert(c.column[0] == 5.5 && c.column[1] == 0.5);
}
END_TEST

/* Every frame of the codec corpus walks to exactly the leaves of its tree. */
/* A NUL anywhere in a fixstr key (the word-at-a-time scan: at 0, in the first
 * word, at a word's edge, in the tail) is refused; keys of 8, 16 and 31 plain
 * bytes are not. */
START_TEST(nul_in_short_keys_at_every_position)
{
    for (int long_value = 0; long_value <= 1; long_value++) { /* bytes behind the key, or not */
        for (size_t n = 1; n <= 31; n++) {
            for (size_t at = 0; at <= n; at++) { /* at == n: no NUL */
                unsigned char buf[64] = {0x81, (unsigned char)(0xa0 | n)};
                memset(buf + 2, 'k', n);
                if (at < n)
                    buf[2 + at] = '\0';
                size_t len = 3 + n;
                buf[2 + n] = long_value ? 0xa9 : 0x01; /* a 9-byte str, or 1 */
                if (long_value) {
                    memset(buf + 3 + n, 'v', 9);
                    len += 9;
                }
                char err[192];
                int rc = s_read_all(buf, len, err, sizeof err);
                ck_assert_msg(rc == (at < n ? -EBADMSG : 0), "key of %zu, NUL at %zu: %d %s", n, at,
                              rc, err);
            }
        }
    }
}
END_TEST

/* An entry is a key and its value's header; an array item where a key should be is refused. */
START_TEST(next_entry_reads_key_and_value)
{
    pb_mpread_t rd;
    pb_mpread_item_t top, key, value;
    const char map[] = "\x82\xa1"
                       "a\x01\xa1"
                       "b\x81\xa1"
                       "c\xc3";
    pb_mpread_init(&rd, map, sizeof map - 1, PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &top), 0);
    ck_assert_int_eq(pb_mpread_next_entry(&rd, &key, &value), 0);
    ck_assert(key.is_key && key.len == 1 && key.data[0] == 'a');
    ck_assert(value.type == PB_UINT && value.u == 1 && !value.is_key);
    ck_assert_int_eq(pb_mpread_next_entry(&rd, &key, &value), 0);
    ck_assert(key.data[0] == 'b' && value.type == PB_MAP && value.len == 1);
    ck_assert_int_eq(pb_mpread_next_entry(&rd, &key, &value), 0); /* into the inner map */
    ck_assert(key.data[0] == 'c' && key.depth == 3 && value.type == PB_BOOL && value.b);
    ck_assert_int_eq(pb_mpread_next_entry(&rd, &key, &value), -ENOENT);
    ck_assert_int_eq(pb_mpread_finish(&rd), 0);
    const char array[] = "\x92\x01\x02";
    pb_mpread_init(&rd, array, sizeof array - 1, PB_MPREAD_MAX_DEPTH);
    ck_assert_int_eq(pb_mpread_next(&rd, &top), 0);
    ck_assert_int_eq(pb_mpread_next_entry(&rd, &key, &value), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(pb_mpread_error(&rd), "where a map key was expected"));
    ck_assert_int_eq(pb_mpread_next(&rd, &top), -EBADMSG); /* sticky */
}
END_TEST

START_TEST(corpus_walks_like_the_tree)
{
    DIR *dir = opendir(PB_FUZZ_DIR "/corpus/codec");
    ck_assert_ptr_nonnull(dir);
    size_t files = 0;
    for (struct dirent *de = readdir(dir); de; de = readdir(dir)) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], err[192] = "";
        snprintf(path, sizeof path, "%s/corpus/codec/%s", PB_FUZZ_DIR, de->d_name);
        size_t len;
        char *buf = s_slurp(path, &len);
        pb_value_t *tree = NULL;
        ck_assert_msg(pb_codec_decode(buf, len, &tree, err, sizeof err) == 0, "%s: %s", path, err);
        leaves_t want = {0}, got = {0};
        leaves_from_tree(&want, tree);
        ck_assert_int_eq(pb_mpread_walk(buf, len, leaves_walk_cb, &got, err, sizeof err), 0);
        long at = leaves_diff(&want, &got);
        ck_assert_msg(at < 0, "%s: leaf %ld: tree %s, walk %s", de->d_name, at,
                      (size_t)at < want.n ? want.line[at] : "(none)",
                      (size_t)at < got.n ? got.line[at] : "(none)");
        ck_assert_uint_gt(got.n, 0);
        leaves_free(&want);
        leaves_free(&got);
        pb_value_destroy(&tree);
        free(buf);
        files++;
    }
    closedir(dir);
    ck_assert_uint_ge(files, 40);
}
END_TEST

/* The tree re-encoded (keys unique and valid UTF-8) walks to its leaves. */
static void s_assert_canonical_walk(const pb_value_t *tree, const char *name)
{
    char *buf;
    size_t len;
    ck_assert_int_eq(pb_codec_encode(tree, &buf, &len), 0);
    pb_value_t *back = NULL;
    ck_assert_int_eq(pb_codec_decode(buf, len, &back, NULL, 0), 0);
    leaves_t want = {0}, got = {0};
    leaves_from_tree(&want, back);
    ck_assert_int_eq(pb_mpread_walk(buf, len, leaves_walk_cb, &got, NULL, 0), 0);
    ck_assert_msg(leaves_diff(&want, &got) < 0, "%s: the re-encoded tree walks differently", name);
    leaves_free(&want);
    leaves_free(&got);
    pb_value_destroy(&back);
    free(buf);
}

/* One input against the codec: the walk accepts a map exactly when the codec
 * does, with a reason when not, and gives the tree's leaves -- or more of
 * them, when pb_value merged keys that differ only in invalid UTF-8 or repeat
 * (every entry yields at least one leaf); then the tree re-encoded walks to
 * exactly its leaves. Returns how many leaves the walk had beyond the tree. */
static size_t s_assert_like_codec(const char *dir, const char *name)
{
    char path[512], err[192] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *buf = s_slurp(path, &len);
    pb_value_t *tree = NULL;
    int codec_rc = pb_codec_decode(buf, len, &tree, NULL, 0);
    leaves_t want = {0}, got = {0};
    int rc = pb_mpread_walk(buf, len, leaves_walk_cb, &got, err, sizeof err);
    bool is_map = len && ((buf[0] & 0xf0) == 0x80 || buf[0] == '\xde' || buf[0] == '\xdf');
    ck_assert_msg((rc == 0) == (codec_rc == 0 && is_map), "%s: walk %d (%s), codec %d", name, rc,
                  err, codec_rc);
    ck_assert_msg(rc == 0 || err[0], "%s: an error without a reason", name);
    ck_assert_int_eq(s_read_all(buf, len, NULL, 0) == 0, codec_rc == 0);
    size_t extra = 0;
    if (rc == 0) { /* a failed walk may have delivered leaves before its error */
        leaves_from_tree(&want, tree);
        ck_assert_uint_ge(got.n, want.n);
        ck_assert_msg(got.n > want.n || leaves_diff(&want, &got) < 0, "%s: leaves differ", name);
        if (got.n > want.n)
            s_assert_canonical_walk(tree, name);
        extra = got.n - want.n;
    }
    leaves_free(&want);
    leaves_free(&got);
    pb_value_destroy(&tree);
    free(buf);
    return extra;
}

/* Every input of a directory through s_assert_like_codec; returns their count. */
static size_t s_assert_dir_like_codec(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    size_t files = 0;
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        if (de->d_name[0] == '.')
            continue;
        size_t extra = s_assert_like_codec(dir, de->d_name);
        /* its two keys differ only in invalid UTF-8: pb_value merges them, the walk reports both */
        if (strcmp(de->d_name, "keys-equal-once-sanitised") == 0)
            ck_assert_uint_eq(extra, 1);
        files++;
    }
    closedir(d);
    return files;
}

/* The reproducers of the codec's fuzz runs. */
START_TEST(repro_inputs_agree_with_the_codec)
{
    ck_assert_uint_ge(s_assert_dir_like_codec(PB_FUZZ_DIR "/repro/codec"), 4);
}
END_TEST

/* fuzz_mpread's corpus: the codec's seeds and what libFuzzer found from them. */
START_TEST(fuzz_corpus_agrees_with_the_codec)
{
    ck_assert_uint_ge(s_assert_dir_like_codec(PB_FUZZ_DIR "/corpus/mpread"), 49);
}
END_TEST

START_TEST(never_allocates)
{
    size_t len, leaves = 0;
    char *frame = s_sys_frame(&len);
    s_allocs = 0; /* Check's own asserts may allocate: none between here and the count */
    int walk_rc = pb_mpread_walk(frame, len, s_count_leaf, &leaves, NULL, 0);
    int read_rc = s_read_all(frame, len, NULL, 0);
    int cut_rc = s_read_all(frame, len - 1, NULL, 0);
    size_t allocs = s_allocs;
    ck_assert_int_eq(walk_rc, 0);
    ck_assert_int_eq(read_rc, 0);
    ck_assert_int_eq(cut_rc, -ENODATA);
    ck_assert_uint_eq(allocs, 0);
    ck_assert_uint_gt(leaves, 100);
    pb_value_t *tree = NULL;
    ck_assert_int_eq(pb_codec_decode(frame, len, &tree, NULL, 0), 0);
    ck_assert_uint_gt(s_allocs, leaves); /* the counter sees the tree's allocations */
    pb_value_destroy(&tree);
    free(frame);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_mpread");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reads_every_type);
    tcase_add_test(tc, item_offsets_name_the_type_byte);
    tcase_add_test(tc, truncated_at_every_cut_point);
    tcase_add_test(tc, refuses_keys_of_the_wrong_type);
    tcase_add_test(tc, keys_up_to_255_bytes);
    tcase_add_test(tc, refuses_nesting_deeper_than_the_limit);
    tcase_add_test(tc, refuses_huge_declared_counts_without_allocating);
    tcase_add_test(tc, refuses_ext_types_and_0xc1);
    tcase_add_test(tc, skips_whole_subtrees);
    tcase_add_test(tc, finish_refuses_trailing_bytes_and_unfinished_objects);
    tcase_add_test(tc, walk_names_paths_and_indices);
    tcase_add_test(tc, walk_refuses_what_is_not_a_map);
    tcase_add_test(tc, walk_stops_when_the_callback_says);
    tcase_add_test(tc, unknown_keys_reach_the_callback);
    tcase_add_test(tc, corpus_walks_like_the_tree);
    tcase_add_test(tc, repro_inputs_agree_with_the_codec);
    tcase_add_test(tc, fuzz_corpus_agrees_with_the_codec);
    tcase_add_test(tc, nul_in_short_keys_at_every_position);
    tcase_add_test(tc, next_entry_reads_key_and_value);
    tcase_add_test(tc, never_allocates);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
