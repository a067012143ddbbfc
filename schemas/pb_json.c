/* pb_json: renders pb_value trees as JSON (one line or indented). */
#include "pb_json.h"

#include "pb_num.h"

#include "pb_utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The escape for code point cp (PB_UTF8_INVALID for a maximal subpart of
 * bad bytes), written into buf; NULL when cp is written as it is. */
static const char *s_escape(int32_t cp, char buf[16])
{
    switch (cp) {
    case PB_UTF8_INVALID:
        return "\\ufffd";
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    default:
        break;
    }
    /* controls, and the two separators JavaScript does not allow in strings */
    if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
        snprintf(buf, 16, "\\u%04x", (unsigned)cp);
        return buf;
    }
    return NULL;
}

/* Writes runs of plain characters whole, escapes in between. */
static void s_write_string(FILE *out, const char *s, size_t n)
{
    size_t plain = 0; /* start of the run not written yet */
    char buf[16];
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t len = pb_utf8_next(s + i, n - i, &cp);
        const char *esc = s_escape(cp, buf);
        if (esc) {
            if (i > plain)
                fwrite(s + plain, 1, i - plain, out);
            fputs(esc, out);
            plain = i + len;
        }
        i += len;
    }
    if (n > plain)
        fwrite(s + plain, 1, n - plain, out);
    fputc('"', out);
}

static void s_write_base64(FILE *out, const unsigned char *s, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputs("{\"$bin\":\"", out);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v =
            (unsigned)s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        fputc(abc[v >> 18 & 63], out);
        fputc(abc[v >> 12 & 63], out);
        fputc(i + 1 < n ? abc[v >> 6 & 63] : '=', out);
        fputc(i + 2 < n ? abc[v & 63] : '=', out);
    }
    fputs("\"}", out);
}

static void s_write_number(FILE *out, const pb_value_t *v)
{
    int64_t i;
    uint64_t u;
    double d;
    if (pb_value_get_u64(v, &u) == 0)
        fprintf(out, "%llu", (unsigned long long)u);
    else if (pb_value_get_i64(v, &i) == 0)
        fprintf(out, "%lld", (long long)i);
    else if (pb_value_get_f64(v, &d) == 0 && isfinite(d)) {
        char num[32];
        pb_num_format(d, num);
        fputs(num, out);
    } else
        fputs("null", out);
}

static void s_write(FILE *out, const pb_value_t *v, int pretty, int level);

static void s_newline(FILE *out, int pretty, int level)
{
    if (pretty)
        fprintf(out, "\n%*s", level * 2, "");
}

static void s_write_list(FILE *out, const pb_value_t *v, int pretty, int level)
{
    bool is_map = pb_value_type(v) == PB_MAP;
    size_t n = pb_value_len(v);
    fputc(is_map ? '{' : '[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        s_newline(out, pretty, level + 1);
        if (is_map) {
            const char *key = pb_value_map_key_at(v, i);
            s_write_string(out, key, strlen(key));
            fputs(pretty ? ": " : ":", out);
        }
        s_write(out, pb_value_array_at(v, i), pretty, level + 1);
    }
    if (n)
        s_newline(out, pretty, level);
    fputc(is_map ? '}' : ']', out);
}

static void s_write(FILE *out, const pb_value_t *v, int pretty, int level)
{
    const void *data;
    size_t len;
    bool b;
    switch (pb_value_type(v)) {
    case PB_BOOL:
        pb_value_get_bool(v, &b);
        fputs(b ? "true" : "false", out);
        break;
    case PB_INT:
    case PB_UINT:
    case PB_FLOAT:
        s_write_number(out, v);
        break;
    case PB_STR:
        pb_value_get_bytes(v, &data, &len);
        s_write_string(out, data, len);
        break;
    case PB_BIN:
        pb_value_get_bytes(v, &data, &len);
        s_write_base64(out, data, len);
        break;
    case PB_ARRAY:
    case PB_MAP:
        s_write_list(out, v, pretty, level);
        break;
    default:
        fputs("null", out);
    }
}

int pb_json_write(FILE *out, const pb_value_t *self, int pretty)
{
    s_write(out, self, pretty, 0);
    return ferror(out) ? -EIO : 0;
}

char *pb_json_encode(const pb_value_t *self, int pretty)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    int rc = pb_json_write(out, self, pretty);
    if (fclose(out) != 0 || rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}
