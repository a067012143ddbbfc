/* pb_ipclock: PATH.lock beside an ipc:// socket, flock'ed by the process bound there. */
#include "pb_ipclock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int pb_ipc_lock(const char *endpoint, const char *what, int *fd, char *err, size_t errlen)
{
    char path[4096];
    *fd = -1;
    if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' || strchr(endpoint, '*') ||
        (size_t)snprintf(path, sizeof path, "%s.lock", endpoint + 6) >= sizeof path)
        return 0;
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return 0;
    if (flock(lock, LOCK_EX | LOCK_NB) == 0) {
        *fd = lock;
        return 0;
    }
    int e = errno;
    close(lock);
    if (e != EWOULDBLOCK)
        return 0;
    snprintf(err, errlen,
             "%s %s is in use: another process is bound there (it holds %s); stop it or "
             "choose another path",
             what, endpoint, path);
    return -EADDRINUSE;
}
