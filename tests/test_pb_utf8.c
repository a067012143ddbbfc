/* Check suite for pb_utf8: validation and U+FFFD substitution, Markus Kuhn's cases and more. */
#include "pb_utf8.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    const char *out; /* what Python's bytes.decode("utf-8", "replace") gives, re-encoded */
    size_t out_len;
} s_case_t;

/* After Markus Kuhn's UTF-8-test.txt (sections 1-5) and Unicode's table 3-8. */
static const s_case_t s_cases[] = {
    {"correct greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11,
     "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11},
    {"first 1-byte U+0000", "\x00", 1, "\x00", 1},
    {"first 2-byte U+0080", "\xc2\x80", 2, "\xc2\x80", 2},
    {"first 3-byte U+0800", "\xe0\xa0\x80", 3, "\xe0\xa0\x80", 3},
    {"first 4-byte U+10000", "\xf0\x90\x80\x80", 4, "\xf0\x90\x80\x80", 4},
    {"first 5-byte form", "\xf8\x88\x80\x80\x80", 5,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 15},
    {"first 6-byte form", "\xfc\x84\x80\x80\x80\x80", 6,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 18},
    {"last 1-byte U+007F", "\x7f", 1, "\x7f", 1},
    {"last 2-byte U+07FF", "\xdf\xbf", 2, "\xdf\xbf", 2},
    {"last 3-byte U+FFFF", "\xef\xbf\xbf", 3, "\xef\xbf\xbf", 3},
    {"last code point U+10FFFF", "\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf", 4},
    {"last 4-byte form U+1FFFFF", "\xf7\xbf\xbf\xbf", 4,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12},
    {"U+D7FF before surrogates", "\xed\x9f\xbf", 3, "\xed\x9f\xbf", 3},
    {"U+E000 after surrogates", "\xee\x80\x80", 3, "\xee\x80\x80", 3},
    {"U+FFFD itself", "\xef\xbf\xbd", 3, "\xef\xbf\xbd", 3},
    {"U+110000 above the range", "\xf4\x90\x80\x80", 4,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12},
    {"F5 lead", "\xf5\x80\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12},
    {"stray 80", "\x80", 1, "\xef\xbf\xbd", 3},
    {"stray BF", "\xbf", 1, "\xef\xbf\xbd", 3},
    {"stray 80 BF", "\x80\xbf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},
    {"seven stray continuations", "\x80\xbf\x80\xbf\x80\xbf\x80", 7,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 21},
    {"lonely C0 then space", "\xc0\x20", 2, "\xef\xbf\xbd\x20", 4},
    {"lonely E0 then space", "\xe0\x20", 2, "\xef\xbf\xbd\x20", 4},
    {"lonely F0 then space", "\xf0\x20", 2, "\xef\xbf\xbd\x20", 4},
    {"C2 cut", "\xc2", 1, "\xef\xbf\xbd", 3},
    {"E0 A0 cut", "\xe0\xa0", 2, "\xef\xbf\xbd", 3},
    {"F0 90 80 cut", "\xf0\x90\x80", 3, "\xef\xbf\xbd", 3},
    {"DF cut", "\xdf", 1, "\xef\xbf\xbd", 3},
    {"EF BF cut", "\xef\xbf", 2, "\xef\xbf\xbd", 3},
    {"F4 8F BF cut", "\xf4\x8f\xbf", 3, "\xef\xbf\xbd", 3},
    {"three cut sequences", "\xc2\xe0\xa0\xf0\x90\x80", 6, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
     9},
    {"FE", "\xfe", 1, "\xef\xbf\xbd", 3},
    {"FF", "\xff", 1, "\xef\xbf\xbd", 3},
    {"FE FE FF FF", "\xfe\xfe\xff\xff", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12},
    {"overlong slash 2", "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},
    {"overlong slash 3", "\xe0\x80\xaf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"overlong slash 4", "\xf0\x80\x80\xaf", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
     12},
    {"overlong slash 5", "\xf8\x80\x80\x80\xaf", 5,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 15},
    {"overlong slash 6", "\xfc\x80\x80\x80\x80\xaf", 6,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 18},
    {"max overlong 2", "\xc1\xbf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},
    {"max overlong 3", "\xe0\x9f\xbf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"max overlong 4", "\xf0\x8f\xbf\xbf", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
     12},
    {"overlong NUL 2", "\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},
    {"overlong NUL 3", "\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"surrogate D800", "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"surrogate DB7F", "\xed\xad\xbf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"surrogate DFFF", "\xed\xbf\xbf", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
    {"surrogate pair", "\xed\xa0\x80\xed\xb0\x80", 6,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 18},
    {"noncharacter U+FFFE", "\xef\xbf\xbe", 3, "\xef\xbf\xbe", 3},
    {"cut at the end after ASCII", "\x61\x62\x63\xe2\x82", 5, "\x61\x62\x63\xef\xbf\xbd", 6},
    {"cut before ASCII", "\xe2\x82\x78", 3, "\xef\xbf\xbd\x78", 4},
    {"Unicode table 3-8", "\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64", 13,
     "\x61\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\x62\xef\xbf\xbd\x63\xef\xbf\xbd\xef\xbf\xbd\x64",
     22},
    {"bad byte after a word of ASCII",
     "\x70\x65\x72\x66\x62\x75\x73\x2d\x77\x6f\x72\x6b\x65\x72\xff\x39", 16,
     "\x70\x65\x72\x66\x62\x75\x73\x2d\x77\x6f\x72\x6b\x65\x72\xef\xbf\xbd\x39", 18},
    {"comm cut at 15 bytes", "\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\xe2\x82", 15,
     "\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\xef\xbf\xbd", 16},
};

#define S_NCASES (sizeof s_cases / sizeof s_cases[0])

START_TEST(sanitizes_each_case_like_python)
{
    const s_case_t *c = &s_cases[_i];
    size_t len = 0;
    char *out = pb_utf8_sanitize_new(c->in, c->in_len, &len);
    ck_assert_msg(len == c->out_len && memcmp(out, c->out, len) == 0, "%s: wrong output", c->name);
    ck_assert_uint_eq(pb_utf8_sanitized_len(c->in, c->in_len), c->out_len);
    ck_assert_int_eq(out[len], '\0');
    bool unchanged = c->in_len == c->out_len && memcmp(c->in, c->out, c->in_len) == 0;
    ck_assert_msg(pb_utf8_is_valid(c->in, c->in_len) == unchanged, "%s: validity", c->name);
    ck_assert_msg(pb_utf8_is_valid(out, len), "%s: output not valid", c->name);
    free(out);
}
END_TEST

START_TEST(valid_len_stops_at_the_first_bad_byte)
{
    ck_assert_uint_eq(pb_utf8_valid_len("abcdefghijklmnop\xc3\xa9q", 19), 19);
    ck_assert_uint_eq(pb_utf8_valid_len("abcdefghijklmnop\xc3q", 18), 16);
    ck_assert_uint_eq(pb_utf8_valid_len("abcdefg\x80", 8), 7);
    ck_assert_uint_eq(pb_utf8_valid_len("\xed\xa0\x80", 3), 0);
    ck_assert_uint_eq(pb_utf8_valid_len(NULL, 0), 0);
    ck_assert(pb_utf8_is_valid("", 0));
    ck_assert(pb_utf8_is_valid("a\0b", 3)); /* NUL is a character like any other */
}
END_TEST

START_TEST(next_reports_code_points_and_subparts)
{
    int32_t cp = 0;
    ck_assert_uint_eq(pb_utf8_next("A", 1, &cp), 1);
    ck_assert_int_eq(cp, 'A');
    ck_assert_uint_eq(pb_utf8_next("\xc3\xa9", 2, &cp), 2);
    ck_assert_int_eq(cp, 0xE9);
    ck_assert_uint_eq(pb_utf8_next("\xe2\x82\xac", 3, &cp), 3);
    ck_assert_int_eq(cp, 0x20AC);
    ck_assert_uint_eq(pb_utf8_next("\xf4\x8f\xbf\xbf", 4, &cp), 4);
    ck_assert_int_eq(cp, 0x10FFFF);
    ck_assert_uint_eq(pb_utf8_next("\xe2\x82\xac", 2, &cp), 2); /* cut by n */
    ck_assert_int_eq(cp, PB_UTF8_INVALID);
    ck_assert_uint_eq(pb_utf8_next("\xe0\x80\x80", 3, &cp), 1); /* overlong: lead alone */
    ck_assert_int_eq(cp, PB_UTF8_INVALID);
    ck_assert_uint_eq(pb_utf8_next("", 0, &cp), 0);
}
END_TEST

/* Encodes cp the canonical way (cp <= 0x10FFFF); returns the length. */
static size_t s_encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

START_TEST(every_scalar_value_round_trips_and_surrogates_do_not)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        unsigned char buf[4];
        size_t len = s_encode(cp, buf);
        int32_t got = 0;
        size_t used = pb_utf8_next((const char *)buf, len, &got);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        /* plain ifs: a Check assertion per code point costs more than the decoding */
        if (surrogate && (got != PB_UTF8_INVALID || used != 1 ||
                          pb_utf8_sanitized_len((const char *)buf, len) != 9))
            ck_abort_msg("surrogate U+%04X accepted", cp);
        if (!surrogate && (got != (int32_t)cp || used != len))
            ck_abort_msg("U+%04X not decoded", cp);
    }
}
END_TEST

START_TEST(every_overlong_form_is_refused)
{
    /* each code point below the length's minimum, encoded one length too long */
    for (uint32_t cp = 0; cp < 0x10000; cp++) {
        unsigned char buf[4];
        size_t len;
        if (cp < 0x80) {
            buf[0] = (unsigned char)(0xC0 | cp >> 6);
            buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 2;
        } else if (cp < 0x800) {
            buf[0] = 0xE0;
            buf[1] = (unsigned char)(0x80 | cp >> 6);
            buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 3;
        } else {
            buf[0] = 0xF0;
            buf[1] = (unsigned char)(0x80 | cp >> 12);
            buf[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        if (pb_utf8_is_valid((const char *)buf, len) ||
            pb_utf8_sanitized_len((const char *)buf, len) != 3 * len)
            ck_abort_msg("overlong U+%04X accepted", cp);
    }
}
END_TEST

START_TEST(sanitize_writes_into_a_caller_buffer)
{
    char out[3 * 6];
    size_t n = pb_utf8_sanitize("ok\xff\xfe!", 5, out);
    ck_assert_uint_eq(n, 2 + 6 + 1);
    ck_assert(memcmp(out, "ok" PB_UTF8_REPLACEMENT PB_UTF8_REPLACEMENT "!", n) == 0);
    ck_assert_uint_eq(pb_utf8_sanitize(NULL, 0, out), 0);
    size_t len = 7;
    char *empty = pb_utf8_sanitize_new("", 0, &len);
    ck_assert_str_eq(empty, "");
    ck_assert_uint_eq(len, 0);
    free(empty);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_utf8");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, sanitizes_each_case_like_python, 0, (int)S_NCASES);
    tcase_add_test(tc, valid_len_stops_at_the_first_bad_byte);
    tcase_add_test(tc, next_reports_code_points_and_subparts);
    tcase_add_test(tc, every_scalar_value_round_trips_and_surrogates_do_not);
    tcase_add_test(tc, every_overlong_form_is_refused);
    tcase_add_test(tc, sanitize_writes_into_a_caller_buffer);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
