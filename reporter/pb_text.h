/* pb_text: safe text for renderers — UTF-8 to Latin-1, fitting with an ellipsis, HTML escaping. */
#ifndef PB_TEXT_H
#define PB_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Converts UTF-8 text to Latin-1 (ISO 8859-1 printable range: 0x20-0x7E and
 * 0xA0-0xFF) into out (size > 0, always NUL-terminated, truncated to fit).
 * Code points outside that range, control characters and invalid UTF-8
 * bytes each become one '?'. Returns the number of replacements. */
size_t pb_text_latin1(const char *utf8, char *out, size_t size);

/* Width of the first len bytes of s in the caller's units (points, say). */
typedef double(pb_text_width_fn)(const char *s, size_t len, void *arg);

/* Shortens s in place so that width(s) <= max, replacing the removed tail by
 * "..." (dropped too if even that does not fit). s is single-byte text (the
 * output of pb_text_latin1). Returns 1 if s was shortened, else 0. */
int pb_text_fit(char *s, double max, pb_text_width_fn *width, void *arg);

/* Copies at most max_chars UTF-8 characters of s into out (size > 0),
 * ending with U+2026 when cut; never splits a character, and replaces each
 * invalid byte by U+FFFD. Returns 1 if cut. */
int pb_text_truncate_utf8(const char *s, size_t max_chars, char *out, size_t size);

/* Writes s HTML-escaped (& < > " ') to out. Returns 0 or -EIO. */
int pb_text_html(FILE *out, const char *s);

#endif
