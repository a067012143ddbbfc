/* pb_kvfile: reads the `key = value` config files every perfbus binary accepts. */
#ifndef PB_KVFILE_H
#define PB_KVFILE_H

#include <stddef.h>

/* Called once per setting, in file order. Return 0 to go on, or a negative
 * errno with a message in err to stop (the reader prefixes "FILE:LINE: "). */
typedef int (*pb_kvfile_fn)(void *arg, const char *key, const char *value, char *err,
                            size_t errlen);

/* Format: one `key = value` per line; blank lines and lines starting with '#'
 * are ignored; surrounding spaces are trimmed. In a value, a '#' at its
 * start or after a space or tab starts a comment (`top = 5  # busiest`);
 * a '#' inside a word is kept (`match = a#b`). A value may be
 * "double-quoted" to keep leading/trailing spaces or a " #": it ends at the
 * next '"' (so it cannot hold one), and only blanks and a comment may
 * follow. Keys are the long flag names without "--". Returns 0, or a
 * negative errno with "FILE:LINE: reason" in err (-ENOENT/-EACCES when the
 * file cannot be opened, -EINVAL for a bad line). */
int pb_kvfile_read(const char *path, pb_kvfile_fn fn, void *arg, char *err, size_t errlen);

#endif
