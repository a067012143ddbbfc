/* pb_fdio: whole writes to a file descriptor (through short writes and EINTR), opens to read. */
#include "pb_fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int pb_fdio_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* no progress: never loop on it */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pb_fdio_open_read(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}
