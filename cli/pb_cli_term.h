/* pb_cli_term: shows strings from the wire or from disk on a terminal, control characters escaped.
 */
#ifndef PB_CLI_TERM_H
#define PB_CLI_TERM_H

#include <stddef.h>
#include <stdio.h>

/*
 * A process name, command line, host or error message is anyone's bytes: printed
 * raw, an ESC sequence rewrites the screen or the title, a newline forges a line.
 * Every such string goes through here. Shown as they are: printable ASCII and
 * valid UTF-8 characters. Escaped: \n \t \r and \\ for the backslash itself
 * (so escapes are unambiguous), \xNN for other C0 controls and DEL, \u00NN for
 * C1 controls (U+0080..U+009F), \uNNNN for the bidi and line-separator format
 * characters (U+061C, U+200E/F, U+2028..U+202E, U+2066..U+2069), and \xNN for
 * every byte that is not part of valid UTF-8.
 */

/* Renders s into buf (size > 0 bytes, always NUL-terminated); what does not fit
 * is cut at a character or escape, never inside one. Returns buf. */
char *pb_cli_term(char *buf, size_t size, const char *s);

/* The same, exactly `width` columns (one per character or escape byte; wide
 * CJK characters are counted as one): cut, or padded with spaces, like
 * printf's %-W.Ws. buf must hold 4 * width + 1 bytes for the worst case
 * (fewer columns are filled otherwise). Returns buf. */
char *pb_cli_term_col(char *buf, size_t size, const char *s, int width);

/* Writes s rendered, whole, to out. */
void pb_cli_term_put(FILE *out, const char *s);

#endif
