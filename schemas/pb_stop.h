/* pb_stop: the flag SIGINT and SIGTERM raise, for every long-running perfbus process. */
#ifndef PB_STOP_H
#define PB_STOP_H

#include <signal.h>

/* Installs the handlers (without SA_RESTART, so that zmq_poll, sleeps and
 * reads return EINTR and loops see the flag at once) and ignores SIGPIPE.
 * Returns the flag, which becomes non-zero on the first signal. This
 * function can't fail. */
volatile sig_atomic_t *pb_stop_install(void);

#endif
