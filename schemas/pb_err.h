/* pb_err: the one way a failing call writes its one-line reason into a caller's buffer. */
#ifndef PB_ERR_H
#define PB_ERR_H

#include <stddef.h>

/* Formats the reason into err (errlen bytes; nothing when err is NULL or errlen
 * is 0) and returns rc, so that a failure is one statement:
 * `return pb_err_set(err, errlen, -EINVAL, "'%s' is ...", key);`. */
int pb_err_set(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
