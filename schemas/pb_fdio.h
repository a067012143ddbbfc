/* pb_fdio: writes a whole buffer to a file descriptor, through short writes and EINTR. */
#ifndef PB_FDIO_H
#define PB_FDIO_H

#include <stddef.h>

/* Writes all len bytes of buf to fd. Returns 0 or the negative errno of the
 * failing write. */
int pb_fdio_write_all(int fd, const void *buf, size_t len);

#endif
