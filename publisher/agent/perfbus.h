/* perfbus.h: libperfbus, the agent an application links to be profiled over ZeroMQ. */
#ifndef PERFBUS_H
#define PERFBUS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Profiling modes a target accepts (a bit set), and registration flags. */
#define PB_MODE_SAMPLING 0x1u
#define PB_MODE_TRACING  0x2u
#define PB_MODE_DETAILED 0x4u
#define PB_MODE_ALL      0x7u
/* Registered but refused until a `register` request enables it. */
#define PB_TARGET_DISABLED 0x100u

typedef struct pb_agent pb_agent_t;

/* A profiling target: runs once per profiled run, on the agent's worker thread. */
typedef void(pb_agent_fn)(void *arg);

/* Every field may be left 0/NULL for its default. */
typedef struct {
    const char *endpoint;     /* ROUTER bind; default "tcp://127.0.0.1:*" */
    const char *pub_endpoint; /* PUB bind for prof.* frames; default "tcp://127.0.0.1:*" */
    const char *host;         /* host name in frames; default gethostname() */
    unsigned max_runs;        /* cap on `runs` per request; default 1000 */
    double max_seconds;       /* cap on `max_seconds` per request; default 60 */
    unsigned max_hz;          /* cap on the sampling rate; default 10000 */
    double timeout_grace_s;   /* a job running past max_seconds + this gets `timeout`; 1 */
    unsigned max_connections; /* open connections to the ROUTER before handshakes are
                                 refused; default $PERFBUS_MAX_CONNECTIONS, else 4096 */
    /* CURVE on both sockets (see README, "CURVE"): the agent's own certificate,
     * as `perfbus keygen NAME` writes it (NAME, with NAME_secret beside it, of
     * mode 0600), and the directory of the public certificates of the clients
     * it admits (changes are picked up without a restart). Both or neither.
     * NULL: $PERFBUS_CURVE_SECRET and $PERFBUS_CURVE_ALLOW; "": no CURVE. */
    const char *curve_secret;
    const char *curve_allow;
    /* Binding beyond loopback without CURVE is refused unless this is 1;
     * 0: $PERFBUS_INSECURE=1 allows it; -1: never. */
    int insecure;
    /* When non-NULL, pb_agent_new writes why it failed here (error_len bytes);
     * otherwise a failure of the CURVE setup or of the bind rule is printed on
     * stderr. */
    char *error;
    size_t error_len;
} pb_agent_config_t;

/* Binds the sockets and starts the socket and worker threads. Returns NULL on
 * failure (bad endpoint, address in use, no memory; EPERM: a bind beyond
 * loopback without CURVE; EINVAL, ENOENT, EACCES: a CURVE file) with errno set. The first
 * agent installs process-wide handlers: SIGPROF (sampling; profiled code may
 * see EINTR from sleeps) and SIGSEGV/SIGBUS/SIGFPE/SIGILL (a fault in a target
 * on the worker is caught; any other fault goes to the previous handler). */
pb_agent_t *pb_agent_new(const pb_agent_config_t *config);

/* Stops the threads and closes the sockets. A target still running (a hung
 * one) is waited for. Call it once the application no longer enters
 * sections of this agent. Accepts NULL; sets *self_p to NULL. */
void pb_agent_destroy(pb_agent_t **self_p);

/* The endpoints actually bound (ephemeral ports resolved); borrowed. */
const char *pb_agent_endpoint(const pb_agent_t *self);
const char *pb_agent_pub_endpoint(const pb_agent_t *self);

/* Registers an in-process target. `modes` is a PB_MODE_* set (0 means all),
 * optionally with PB_TARGET_DISABLED. Strings are copied. Returns 0, -EEXIST,
 * -EINVAL (empty name, NULL fn) or -ENOMEM. */
int pb_agent_register(pb_agent_t *self, const char *name, pb_agent_fn *fn, void *arg,
                      unsigned modes, const char *description);

/* Registers a command target: each run forks and execs argv (copied; argv[0]
 * is searched in PATH) and is measured from outside (detailed mode only).
 * Returns 0, -EEXIST, -EINVAL or -ENOMEM. */
int pb_agent_register_command(pb_agent_t *self, const char *name, char *const argv[],
                              const char *description);

/* Marks one execution of a section (a request handler, say). Returns 1 when
 * this execution is being profiled (an `arm` request is pending), 0 when not,
 * and costs one atomic load then. Pass the result to pb_agent_section_end()
 * on the same thread. Sections do not nest. */
#define pb_agent_section_begin(self, section)                                                      \
    pb_agent_section_begin_at((self), (section), __builtin_frame_address(0))
int pb_agent_section_begin_at(pb_agent_t *self, const char *section, void *frame);
void pb_agent_section_end(pb_agent_t *self, int token);

/* A thread a target starts calls these around its work so that it is
 * profiled too (sampling and tracing) while a profile runs; otherwise they do
 * nothing. pb_agent_thread_join returns 1 when joined, 0 when nothing runs. */
#define pb_agent_thread_join() pb_agent_thread_join_at(__builtin_frame_address(0))
int pb_agent_thread_join_at(void *frame);
void pb_agent_thread_leave(int token);

#ifdef __cplusplus
}
#endif

#endif
