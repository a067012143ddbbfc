/* pb_text: text that cannot break a PDF font or an HTML page. */
#include "pb_text.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s; returns its length (>= 1) and the code
 * point in *cp, or 1 with *cp = -1 for an invalid or overlong sequence. */
static size_t s_decode(const unsigned char *s, long *cp)
{
    static const long min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xE0) == 0xC0 ? 2
                 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    *cp = -1;
    if (len == 0)
        return 1;
    long value = len == 1 ? s[0] : s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        value = (value << 6) | (s[i] & 0x3F);
    }
    if (value < min_cp[len] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 1;
    *cp = value;
    return len;
}

static int s_is_latin1_printable(long cp)
{
    return (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xFF);
}

size_t pb_text_latin1(const char *utf8, char *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t replaced = 0, o = 0;
    while (*s && o + 1 < size) {
        long cp;
        s += s_decode(s, &cp);
        if (s_is_latin1_printable(cp)) {
            out[o++] = (char)(unsigned char)cp;
        } else {
            out[o++] = '?';
            replaced++;
        }
    }
    out[o] = '\0';
    return replaced;
}

int pb_text_fit(char *s, double max, pb_text_width_fn *width, void *arg)
{
    size_t len = strlen(s);
    if (width(s, len, arg) <= max)
        return 0;
    double dots = width("...", 3, arg);
    while (len > 0 && width(s, len, arg) + dots > max)
        len--;
    if (dots <= max) {
        memcpy(s + len, "...", 4);
    } else {
        s[0] = '\0';
    }
    return 1;
}

int pb_text_truncate_utf8(const char *s, size_t max_chars, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, chars = 0;
    while (*p) {
        long cp;
        size_t len = s_decode(p, &cp);
        const void *bytes = cp < 0 ? (const void *)"\xEF\xBF\xBD" : (const void *)p;
        size_t outlen = cp < 0 ? 3 : len;
        if (chars == max_chars || o + outlen + 4 > size)
            break;
        memcpy(out + o, bytes, outlen);
        o += outlen;
        p += len;
        chars++;
    }
    int cut = *p != '\0';
    if (cut && o + 4 <= size) {
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
    return cut;
}

int pb_text_html(FILE *out, const char *s)
{
    for (; *s; s++) {
        int rc;
        switch (*s) {
        case '&':
            rc = fputs("&amp;", out);
            break;
        case '<':
            rc = fputs("&lt;", out);
            break;
        case '>':
            rc = fputs("&gt;", out);
            break;
        case '"':
            rc = fputs("&quot;", out);
            break;
        case '\'':
            rc = fputs("&#39;", out);
            break;
        default:
            rc = fputc(*s, out);
            break;
        }
        if (rc == EOF)
            return -EIO;
    }
    return 0;
}
