/* pb_json: renders pb_value trees as JSON (one line or indented). */
#include "pb_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (of n bytes left), or 0 if invalid. */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80           ? 1
                 : (s[0] >> 5) == 0x6  ? 2
                 : (s[0] >> 4) == 0xE  ? 3
                 : (s[0] >> 3) == 0x1E ? 4
                                       : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

static void s_write_string(FILE *out, const char *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        size_t len = s_utf8_len(s + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", out);
            i++;
            continue;
        }
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\u%04x", c);
        else
            fwrite(s + i, 1, len, out);
        i += len;
    }
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
    else if (pb_value_get_f64(v, &d) == 0 && isfinite(d))
        fprintf(out, "%.17g", d);
    else
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
