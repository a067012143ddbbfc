/* pb_fdio: whole writes to a file descriptor, and a file opened to read with its size. */
#ifndef PB_FDIO_H
#define PB_FDIO_H

#include <stddef.h>
#include <sys/stat.h>

/* Writes all len bytes of buf to fd. Returns 0 or the negative errno of the
 * failing write. */
int pb_fdio_write_all(int fd, const void *buf, size_t len);

/* Opens path read-only (close-on-exec) and fstats it into *st. Returns the
 * descriptor, which the caller closes, or the negative errno. */
int pb_fdio_open_read(const char *path, struct stat *st);

#endif
