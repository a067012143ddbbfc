/* fuzz_json: pb_json_encode of every tree pb_codec_decode accepts must be valid JSON in valid
 * UTF-8. */
#include "fuzz_util.h"
#include "pb_codec.h"
#include "pb_json.h"

#include <stdbool.h>

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Returns the length of the sequence at p, or 0 when it is invalid. */
static size_t s_utf8_len(const unsigned char *p, const unsigned char *end)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4 || (size_t)(end - p) < n)
        return 0;
    uint32_t cp = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A recursive-descent JSON (RFC 8259) validator; p advances over what it accepts. */
typedef struct {
    const unsigned char *p, *end;
    int depth;
} s_json_t;

static bool s_value(s_json_t *j);

static void s_ws(s_json_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static bool s_lit(s_json_t *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool s_escape(s_json_t *j)
{
    if (j->p >= j->end)
        return false;
    if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
        j->p++;
        return true;
    }
    if (*j->p++ != 'u' || j->end - j->p < 4)
        return false;
    for (int i = 0; i < 4; i++, j->p++) {
        if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
            return false;
    }
    return true;
}

static bool s_string(s_json_t *j)
{
    j->p++; /* the opening quote */
    while (j->p < j->end && *j->p != '"') {
        if (*j->p < 0x20)
            return false;
        if (*j->p == '\\') {
            j->p++;
            if (!s_escape(j))
                return false;
            continue;
        }
        size_t n = s_utf8_len(j->p, j->end);
        if (n == 0)
            return false;
        j->p += n;
    }
    return j->p++ < j->end;
}

static size_t s_digits(s_json_t *j)
{
    size_t n = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++, n++;
    return n;
}

static bool s_number(s_json_t *j)
{
    if (*j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (s_digits(j) == 0)
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (s_digits(j) == 0)
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (s_digits(j) == 0)
            return false;
    }
    return true;
}

/* Array or object: items separated by commas; an object's items are "key": value. */
static bool s_container(s_json_t *j, unsigned char close, bool object)
{
    j->p++;
    s_ws(j);
    if (j->p < j->end && *j->p == close)
        return j->p++, true;
    for (;;) {
        s_ws(j);
        if (object) {
            if (j->p >= j->end || *j->p != '"' || !s_string(j))
                return false;
            s_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return false;
        }
        if (!s_value(j))
            return false;
        s_ws(j);
        if (j->p >= j->end)
            return false;
        if (*j->p == close)
            return j->p++, true;
        if (*j->p++ != ',')
            return false;
    }
}

static bool s_value(s_json_t *j)
{
    s_ws(j);
    if (j->p >= j->end || ++j->depth > 200)
        return false;
    bool ok;
    switch (*j->p) {
    case '{':
        ok = s_container(j, '}', true);
        break;
    case '[':
        ok = s_container(j, ']', false);
        break;
    case '"':
        ok = s_string(j);
        break;
    case 't':
        ok = s_lit(j, "true");
        break;
    case 'f':
        ok = s_lit(j, "false");
        break;
    case 'n':
        ok = s_lit(j, "null");
        break;
    default:
        ok = s_number(j);
        break;
    }
    j->depth--;
    return ok;
}

static void s_check(const pb_value_t *tree, int pretty)
{
    char *text = pb_json_encode(tree, pretty);
    if (!text)
        return; /* ENOMEM */
    size_t len = strlen(text);
    s_json_t j = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    bool ok = s_value(&j);
    s_ws(&j);
    FUZZ_CHECK(ok && j.p == j.end,
               "pb_json_encode(pretty=%d) wrote invalid JSON at byte %zu of %zu", pretty,
               (size_t)(j.p - (const unsigned char *)text), len);
    if (!pretty)
        FUZZ_CHECK(strchr(text, '\n') == NULL, "one-line JSON holds a newline");
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_value_t *tree = NULL;
    if (pb_codec_decode(data, size, &tree, NULL, 0) < 0)
        return 0;
    s_check(tree, 0);
    s_check(tree, 1);
    pb_value_destroy(&tree);
    return 0;
}
