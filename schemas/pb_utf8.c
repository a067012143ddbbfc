/* pb_utf8: UTF-8 validation and U+FFFD substitution of maximal subparts. */
#include "pb_utf8.h"

#include <stdlib.h>
#include <string.h>

/*
 * The well-formed sequences (Unicode 15, table 3-7) differ only in how many
 * continuation bytes follow the lead and in the range allowed for the FIRST
 * of them; later ones are always 80..BF:
 *
 *   C2..DF  80..BF                  E0  A0..BF (no overlong)
 *   E1..EC, EE..EF  80..BF          ED  80..9F (no surrogates)
 *   F0  90..BF (no overlong)        F1..F3  80..BF
 *   F4  80..8F (<= U+10FFFF)        80..C1, F5..FF never start one
 *
 * A maximal subpart is the longest run from a lead byte that is still the
 * start of some well-formed sequence, or the one offending byte if there is
 * none: so "E0 80" is two subparts, "E1 80" at the end of the string one.
 */

typedef struct {
    int more;         /* continuation bytes after the lead; -1: not a lead */
    unsigned char lo; /* range of the first continuation byte */
    unsigned char hi;
    uint32_t lead_bits; /* the lead's payload bits */
} s_lead_t;

static s_lead_t s_lead(unsigned char c)
{
    if (c >= 0xC2 && c <= 0xDF)
        return (s_lead_t){1, 0x80, 0xBF, c & 0x1Fu};
    if (c >= 0xE0 && c <= 0xEF)
        return (s_lead_t){2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF, c & 0x0Fu};
    if (c >= 0xF0 && c <= 0xF4)
        return (s_lead_t){3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF, c & 0x07u};
    return (s_lead_t){-1, 0, 0, 0};
}

size_t pb_utf8_next(const char *s, size_t n, int32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    s_lead_t lead = s_lead(u[0]);
    uint32_t value = lead.lead_bits;
    *cp = PB_UTF8_INVALID;
    if (lead.more < 0)
        return 1;
    for (size_t i = 1; i <= (size_t)lead.more; i++) {
        unsigned char lo = i == 1 ? lead.lo : 0x80, hi = i == 1 ? lead.hi : 0xBF;
        if (i >= n || u[i] < lo || u[i] > hi)
            return i; /* the subpart so far stands for one U+FFFD */
        value = value << 6 | (u[i] & 0x3Fu);
    }
    *cp = (int32_t)value;
    return (size_t)lead.more + 1;
}

#define S_HIGH_BITS 0x8080808080808080u

/* Bytes of pure ASCII at the start of s, eight at a time where possible. */
static size_t s_ascii_len(const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, sizeof w);
        if (w & S_HIGH_BITS)
            break;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

size_t pb_utf8_valid_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        i += s_ascii_len((const unsigned char *)s + i, n - i);
        if (i == n)
            break;
        int32_t cp;
        size_t len = pb_utf8_next(s + i, n - i, &cp);
        if (cp == PB_UTF8_INVALID)
            break;
        i += len;
    }
    return i;
}

/* True when s is all ASCII: the answer for nearly every key and name packed,
 * so it ORs whole words without a branch per word (the last one overlaps). */
static bool s_all_ascii(const unsigned char *s, size_t n)
{
    uint64_t acc = 0, w;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            acc |= s[i];
        return !(acc & 0x80);
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&w, s + i, sizeof w);
        acc |= w;
    }
    memcpy(&w, s + n - 8, sizeof w);
    return !((acc | w) & S_HIGH_BITS);
}

bool pb_utf8_is_valid(const char *s, size_t n)
{
    return s_all_ascii((const unsigned char *)s, n) || pb_utf8_valid_len(s, n) == n;
}

size_t pb_utf8_sanitized_len(const char *s, size_t n)
{
    size_t i = pb_utf8_valid_len(s, n), out = i;
    while (i < n) {
        int32_t cp;
        size_t len = pb_utf8_next(s + i, n - i, &cp);
        out += cp == PB_UTF8_INVALID ? PB_UTF8_REPLACEMENT_LEN : len;
        i += len;
    }
    return out;
}

size_t pb_utf8_sanitize(const char *s, size_t n, char *out)
{
    size_t i = pb_utf8_valid_len(s, n), o = i;
    if (i) /* s may be NULL when n is 0 */
        memcpy(out, s, i);
    while (i < n) {
        int32_t cp;
        size_t len = pb_utf8_next(s + i, n - i, &cp);
        if (cp == PB_UTF8_INVALID) {
            memcpy(out + o, PB_UTF8_REPLACEMENT, PB_UTF8_REPLACEMENT_LEN);
            o += PB_UTF8_REPLACEMENT_LEN;
        } else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    return o;
}

char *pb_utf8_sanitize_new(const char *s, size_t n, size_t *len_p)
{
    size_t len = pb_utf8_sanitized_len(s, n);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    pb_utf8_sanitize(s, n, out);
    out[len] = '\0';
    if (len_p)
        *len_p = len;
    return out;
}
