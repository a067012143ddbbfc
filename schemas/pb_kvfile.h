/* pb_kvfile: reads the `key = value` config files every perfbus binary accepts. */
#ifndef PB_KVFILE_H
#define PB_KVFILE_H

#include <stddef.h>

/* Called once per setting, in file order. Return 0 to go on, or a negative
 * errno with a message in err to stop (the reader prefixes "FILE:LINE: "). */
typedef int (*pb_kvfile_fn)(void *arg, const char *key, const char *value, char *err,
                            size_t errlen);

/* Format: one `key = value` per line; blank lines and lines starting with '#'
 * are ignored; surrounding spaces are trimmed; a value may be "double-quoted"
 * to keep leading/trailing spaces or a '#'. Keys are the long flag names
 * without "--". Returns 0, or a negative errno with "FILE:LINE: reason" in err
 * (-ENOENT/-EACCES when the file cannot be opened, -EINVAL for a bad line). */
int pb_kvfile_read(const char *path, pb_kvfile_fn fn, void *arg, char *err, size_t errlen);

#endif
