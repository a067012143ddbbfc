/* pb_agent_impl: the agent's state, shared by its lifecycle (pb_agent.c) and its socket side
 * (pb_agent_ops.c). */
#ifndef PB_AGENT_IMPL_H
#define PB_AGENT_IMPL_H

#include "pb_session.h"
#include "pb_sockmon.h"
#include "pb_zap.h"
#include "pb_rpc.h"
#include "pb_value.h"
#include "perfbus.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#define PB_AGENT_JOBS 32 /* finished jobs kept for `results` */

typedef struct {
    char *name, *description;
    pb_agent_fn *fn;
    void *arg;
    char **argv; /* command target when non-NULL */
    unsigned modes;
    bool enabled, crashed;
    bool running; /* a run is on a worker (perhaps one abandoned past its deadline) */
} pb_target_t;

typedef enum { PB_JOB_QUEUED, PB_JOB_ARMED, PB_JOB_RUNNING, PB_JOB_DONE } pb_job_state_t;

/* One profile, simulate or arm request, from acceptance to its result.
 * Fields below `state` are written by the worker (or the section's thread)
 * before it sets state DONE under the agent lock. An arm job's session is
 * handed to the section's thread when the job is abandoned while an
 * execution is underway (session NULL here from then on). */
typedef struct pb_job {
    uint64_t id;
    const char *op;      /* "profile", "simulate", "arm" */
    pb_target_t *target; /* NULL for sections */
    char *name;          /* target or section name */
    pb_session_opts_t opts;
    unsigned runs, count, done;
    double max_seconds, deadline; /* arm: expiry; profile: max_seconds + grace */
    pb_rpc_peer_t *peer;          /* the waiting client, or NULL */
    bool answered, delivered;
    bool abandoned;             /* its worker was replaced: it retires when the run returns */
    _Atomic(const char *) stop; /* why it ends early: "expired", "cancelled"; read by the worker */
    pb_job_state_t state;
    pb_session_t *session;
    pb_value_t *result; /* on success: the result map */
    char code[16];      /* on failure: the error */
    char message[256];
    struct pb_job *next; /* worker queue */
} pb_job_t;

struct pb_agent {
    pb_agent_config_t cfg;
    char *endpoint, *pub_endpoint, *host;
    char src[48];
    void *ctx, *router, *pub;
    pb_sockmon_t *router_mon; /* connections to `router`: trims after storms */
    pb_zap_t *router_cap;     /* refuses handshakes over cfg.max_connections, and (both
                                 sockets) CURVE keys not in the allow directory */
    pb_sockmon_t *pub_mon;    /* failed handshakes to `pub` */
    bool curve;
    int wakefd;
    int ipc_locks[2]; /* pb_ipc_lock's of an ipc:// router and pub, held while bound; else -1 */
    pthread_t socket_thread;
    bool socket_started;
    unsigned workers; /* detached worker threads alive, under the lock */
    atomic_bool stopping;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;
    pb_target_t **targets;
    size_t ntargets;
    pb_job_t *jobs[PB_AGENT_JOBS];
    size_t njobs;
    pb_job_t *queue_head, *queue_tail;
    pb_job_t *busy;            /* the job owning the profiler: queued, running or armed */
    _Atomic(pb_job_t *) armed; /* read lock-free by section_begin */
    pb_job_t *section_job;     /* the armed job whose section is executing now */
    uint64_t next_id, seq, frames_sent, jobs_done;
    double started;
};

/* Socket thread body (pb_agent_ops.c). */
void *pb_agent_serve(void *agent);

/* Under the lock: finds a target by name (NULL when absent). */
pb_target_t *pb_agent_find(pb_agent_t *self, const char *name);

/* Under the lock: queues a job for the worker and makes it the busy one. */
void pb_agent_enqueue(pb_agent_t *self, pb_job_t *job);

/* Under the lock: queues a section job whose executions are over for the
 * worker to build its result, and frees the profiler at once. */
void pb_agent_enqueue_result(pb_agent_t *self, pb_job_t *job);

/* Under the lock: starts one more (detached) worker thread. Returns 0 or a
 * negative errno. */
int pb_agent_worker_start(pb_agent_t *self);

/* Under the lock: a running in-process job past its deadline (or cancelled)
 * leaves the profiler to a new worker; its own worker finishes it when the
 * target returns, then retires. Returns 0, -EINVAL when the job is not
 * running on a worker, or an errno from pthread_create (then still busy). */
int pb_agent_abandon_run(pb_agent_t *self, pb_job_t *job);

/* Under the lock: ends an armed job early with `why` ("expired",
 * "cancelled"): no new execution starts; unless one is underway the result
 * (with the executions seen) is queued and the profiler is free. Returns
 * true when the job was closed, false when it waits for an execution. */
bool pb_agent_arm_end(pb_agent_t *self, pb_job_t *job, const char *why);

/* Under the lock: an armed job whose execution is still underway ends now
 * with error `code`: its data is discarded (the section's thread keeps the
 * session and frees it when the section ends) and the profiler is free. */
void pb_agent_arm_abandon(pb_agent_t *self, pb_job_t *job, const char *code, const char *message);

/* The session threads may join with pb_agent_thread_join (NULL: none);
 * clear resets it only when it is still `session`. */
void pb_agent_join_set(pb_session_t *session);
void pb_agent_join_clear(pb_session_t *session);

/* Under the lock: remembers a job for `results`, evicting the oldest
 * finished one; returns -EBUSY when all slots hold unfinished jobs. */
int pb_agent_remember(pb_agent_t *self, pb_job_t *job);

void pb_agent_job_free(pb_job_t **job_p);
void pb_agent_wake(pb_agent_t *self);
double pb_agent_now(void);

#endif
