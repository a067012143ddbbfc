/* pb_cli_term: renders foreign strings for a terminal, control characters and bad bytes escaped. */
#include "pb_cli_term.h"

#include "pb_utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Format characters that reorder or break lines on screen (Trojan Source). */
static bool s_is_format(int32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* Writes the escape for the character at s (len bytes, cp) into esc; returns
 * its length, or 0 when the character is shown as it is. */
static size_t s_escape(int32_t cp, const unsigned char *s, size_t len, char esc[16])
{
    static const char hex[] = "0123456789abcdef";
    if (cp == PB_UTF8_INVALID) {
        for (size_t i = 0; i < len; i++) { /* a subpart is at most 3 bytes */
            esc[4 * i] = '\\';
            esc[4 * i + 1] = 'x';
            esc[4 * i + 2] = hex[s[i] >> 4];
            esc[4 * i + 3] = hex[s[i] & 15];
        }
        return 4 * len;
    }
    const char *named = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : NULL;
    if (cp == '\\')
        named = "\\\\";
    if (named) {
        memcpy(esc, named, 2);
        return 2;
    }
    if (cp < 0x20 || cp == 0x7F)
        return (size_t)snprintf(esc, 16, "\\x%02x", (unsigned)cp);
    if ((cp >= 0x80 && cp <= 0x9F) || s_is_format(cp))
        return (size_t)snprintf(esc, 16, "\\u%04x", (unsigned)cp);
    return 0;
}

/* Where rendered pieces go: a stream, or a buffer with room and columns left. */
typedef struct {
    FILE *out;
    char *buf;
    size_t room; /* bytes left in buf, the NUL excluded */
    size_t cols; /* columns left */
    bool full;
} s_sink_t;

/* Adds one piece (a character or an escape) whole, or stops the sink. */
static void s_emit(s_sink_t *k, const char *piece, size_t len, size_t cols)
{
    if (k->out) {
        fwrite(piece, 1, len, k->out);
        return;
    }
    if (k->full || len > k->room || cols > k->cols) {
        k->full = true;
        return;
    }
    memcpy(k->buf, piece, len);
    k->buf += len;
    k->room -= len;
    k->cols -= cols;
}

static void s_render(s_sink_t *k, const char *s)
{
    size_t n = strlen(s);
    char esc[16];
    for (size_t i = 0; i < n && !k->full;) {
        int32_t cp;
        size_t len = pb_utf8_next(s + i, n - i, &cp);
        size_t elen = s_escape(cp, (const unsigned char *)s + i, len, esc);
        if (elen)
            s_emit(k, esc, elen, elen);
        else
            s_emit(k, s + i, len, 1);
        i += len;
    }
}

char *pb_cli_term(char *buf, size_t size, const char *s)
{
    s_sink_t k = {.buf = buf, .room = size - 1, .cols = SIZE_MAX};
    s_render(&k, s ? s : "");
    *k.buf = '\0';
    return buf;
}

char *pb_cli_term_col(char *buf, size_t size, const char *s, int width)
{
    size_t cols = width > 0 ? (size_t)width : 0;
    s_sink_t k = {.buf = buf, .room = size - 1, .cols = cols};
    s_render(&k, s ? s : "");
    while (k.cols > 0 && k.room > 0) {
        *k.buf++ = ' ';
        k.room--;
        k.cols--;
    }
    *k.buf = '\0';
    return buf;
}

void pb_cli_term_put(FILE *out, const char *s)
{
    s_sink_t k = {.out = out};
    s_render(&k, s ? s : "");
}
