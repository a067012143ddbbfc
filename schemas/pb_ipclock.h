/* pb_ipclock: an ipc:// endpoint is bound by one live process at a time. */
#ifndef PB_IPCLOCK_H
#define PB_IPCLOCK_H

#include <stddef.h>

/* zmq_bind of ipc://PATH unlinks whatever file is at PATH, so a second
 * process binding the same path silently takes the endpoint over from a live
 * first one. Before binding ipc://PATH every perfbus binary (and libperfbus'
 * agent) takes PATH.lock with flock(2) and holds it until it exits; a dead
 * binder's lock goes with it, so its stale socket file is reused. The lock
 * file stays (unlinking it would let two binders lock two different files).
 *
 * For any other endpoint (tcp, an abstract ipc://@NAME, a wildcard ipc path) or a lock file
 * that cannot be made, *fd is -1 and 0 is returned: zmq_bind then says what
 * is wrong. For a path held by another process: -EADDRINUSE and err says so,
 * naming what (e.g. "perfbusd --pub") and the lock file. Otherwise 0 with
 * *fd the lock (close it after the socket, at exit). */
int pb_ipc_lock(const char *endpoint, const char *what, int *fd, char *err, size_t errlen);

#endif
