/* pb_utf8: UTF-8 validation and U+FFFD substitution, for every string put on the wire. */
#ifndef PB_UTF8_H
#define PB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What pb_utf8_next reports for bytes that are not a whole character. */
#define PB_UTF8_INVALID (-1)

/* U+FFFD REPLACEMENT CHARACTER, encoded. */
#define PB_UTF8_REPLACEMENT     "\xef\xbf\xbd"
#define PB_UTF8_REPLACEMENT_LEN 3

/* Bytes of the longest well-formed prefix of s (n bytes long): n when all of
 * s is valid UTF-8. Overlong forms, surrogates (U+D800..U+DFFF), code points
 * above U+10FFFF, stray continuation bytes and truncated sequences end the
 * prefix. ASCII runs are checked a word at a time. This function can't fail. */
size_t pb_utf8_valid_len(const char *s, size_t n);

/* True when all n bytes of s are valid UTF-8 (NUL bytes included). */
bool pb_utf8_is_valid(const char *s, size_t n);

/* Decodes the character at s (n > 0 bytes left). Returns the bytes taken
 * (1..4) and sets *cp to its code point, or to PB_UTF8_INVALID when those
 * bytes are one "maximal subpart" of an ill-formed sequence (Unicode ch. 3,
 * U+FFFD substitution of maximal subparts, as WHATWG and Python's
 * errors='replace'): each such subpart stands for one U+FFFD. Returns 0 only
 * when n is 0. */
size_t pb_utf8_next(const char *s, size_t n, int32_t *cp);

/* Length of s once every maximal subpart is replaced by U+FFFD. */
size_t pb_utf8_sanitized_len(const char *s, size_t n);

/* Writes s with every maximal subpart replaced by U+FFFD into out, which
 * holds at least pb_utf8_sanitized_len(s, n) bytes (3 * n always suffices).
 * Writes no NUL; returns the bytes written. This function can't fail. */
size_t pb_utf8_sanitize(const char *s, size_t n, char *out);

/* The same into a new NUL-terminated string the caller frees; its length
 * goes to *len_p when len_p is not NULL. NULL on ENOMEM. */
char *pb_utf8_sanitize_new(const char *s, size_t n, size_t *len_p);

#endif
