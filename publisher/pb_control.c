/* pb_control: answers perfbusd's control ops; one function per op in a table. */
#include "pb_control.h"

#include "pb_frame.h"
#include "pb_log.h"
#include "pb_proc_select.h"
#include "pb_rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PID_MAX 4194304u /* the kernel's upper bound for pid_max */

struct pb_control {
    pb_proc_sampler_t *procs;
    char *root;
    pb_control_status_t status;
};

pb_control_t *pb_control_new(pb_proc_sampler_t *procs, const char *root)
{
    pb_control_t *self = calloc(1, sizeof *self);
    if (self)
        self->root = strdup(root ? root : "");
    if (self && !self->root)
        free(self), self = NULL;
    if (self)
        self->procs = procs;
    return self;
}

void pb_control_destroy(pb_control_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->root);
    free(*self_p);
    *self_p = NULL;
}

void pb_control_set_status(pb_control_t *self, const pb_control_status_t *status)
{
    self->status = *status;
}

/* Wraps a value into {ok: true, <key>: value}; takes ownership of *value_p. */
static pb_value_t *s_ok_with(const char *key, pb_value_t **value_p)
{
    pb_value_t *reply = pb_rpc_ok();
    if (!reply || !*value_p || pb_value_map_put(reply, key, value_p) < 0) {
        pb_value_destroy(value_p);
        pb_value_destroy(&reply);
    }
    return reply;
}

/* Reads the optional `pid` argument: 1 found, 0 absent, -EINVAL malformed. */
static int s_pid_arg(const pb_value_t *request, uint32_t *pid)
{
    const pb_value_t *v = pb_value_map_get(request, "pid");
    uint64_t u;
    if (!v)
        return 0;
    if (pb_value_get_u64(v, &u) < 0 || u == 0 || u > S_PID_MAX)
        return -EINVAL;
    *pid = (uint32_t)u;
    return 1;
}

/* Reads the optional `match` argument: 1 found, 0 absent, -EINVAL malformed. */
static int s_match_arg(const pb_value_t *request, const char **match)
{
    const pb_value_t *v = pb_value_map_get(request, "match");
    if (!v)
        return 0;
    return pb_value_get_str(v, match) == 0 && **match && strlen(*match) < 128 ? 1 : -EINVAL;
}

static pb_value_t *s_bad_pid(void)
{
    return pb_rpc_error("bad_arg", "'pid' must be an integer between 1 and %u", S_PID_MAX);
}

static pb_value_t *s_op_system(pb_control_t *self, const pb_value_t *request)
{
    (void)request;
    if (!self->status.latest_sys)
        return pb_rpc_error("not_found", "no system sample yet; retry after one interval");
    pb_value_t *copy = pb_value_dup(self->status.latest_sys);
    return s_ok_with("sample", &copy);
}

static pb_value_t *s_op_process(pb_control_t *self, const pb_value_t *request)
{
    uint32_t pid = 0;
    if (s_pid_arg(request, &pid) <= 0)
        return s_bad_pid();
    pb_value_t *sample = pb_proc_sampler_latest(self->procs, pid);
    uint64_t ts = 0;
    if (sample) /* read in the cycle of the latest sys frame */
        pb_value_map_get_u64(self->status.latest_sys, "ts", &ts);
    if (!sample) {
        int rc = pb_proc_read_once(self->root, pid, &sample);
        if (rc == -ENOENT || rc == -ESRCH)
            return pb_rpc_error("not_found", "no process with pid %u", pid);
        if (rc < 0)
            return pb_rpc_error("internal", "cannot read pid %u: %s", pid, strerror(-rc));
    }
    if (pb_value_map_put_uint(sample, "ts", ts ? ts : pb_frame_now_ns()) < 0)
        pb_value_destroy(&sample);
    return s_ok_with("sample", &sample);
}

static pb_value_t *s_watching(pb_control_t *self)
{
    pb_value_t *watching = pb_proc_sampler_watching(self->procs);
    return s_ok_with("watching", &watching);
}

static pb_value_t *s_op_watch(pb_control_t *self, const pb_value_t *request)
{
    uint32_t pid = 0;
    const char *match = NULL;
    int has_pid = s_pid_arg(request, &pid), has_match = s_match_arg(request, &match);
    if (has_pid < 0)
        return s_bad_pid();
    if (has_match < 0)
        return pb_rpc_error("bad_arg", "'match' must be a non-empty string of at most %d bytes",
                            PB_PROC_SELECT_MAX_PATTERN);
    if (has_pid + has_match != 1)
        return pb_rpc_error("bad_arg", "give exactly one of 'pid' or 'match'");
    char why[256] = "";
    int rc = has_pid ? pb_proc_sampler_watch_pid(self->procs, pid) : 0;
    if (rc == -ESRCH || rc == -ENOENT)
        return pb_rpc_error("not_found", "no process with pid %u", pid);
    if (rc < 0)
        return pb_rpc_error("internal", "cannot watch pid %u: %s", pid, strerror(-rc));
    rc = has_match ? pb_proc_sampler_watch_match(self->procs, match, why, sizeof why) : 0;
    if (rc == -ENOSPC) /* the pattern is fine; the daemon is full */
        return pb_rpc_error("limit", "cannot watch '%s': %s", match, why);
    if (rc == -ENOMEM)
        return pb_rpc_error("internal", "cannot watch '%s': out of memory", match);
    if (rc < 0)
        return pb_rpc_error("bad_arg", "bad pattern '%s': %s", match, why);
    return s_watching(self);
}

static pb_value_t *s_op_unwatch(pb_control_t *self, const pb_value_t *request)
{
    uint32_t pid = 0;
    const char *match = NULL;
    int has_pid = s_pid_arg(request, &pid), has_match = s_match_arg(request, &match);
    if (has_pid < 0)
        return s_bad_pid();
    if (has_match < 0 || has_pid + has_match != 1)
        return pb_rpc_error("bad_arg", "give exactly one of 'pid' or 'match'");
    int rc = has_pid ? pb_proc_sampler_unwatch_pid(self->procs, pid)
                     : pb_proc_sampler_unwatch_match(self->procs, match);
    if (rc == -ENOENT)
        return has_pid ? pb_rpc_error("not_found", "pid %u is not watched", pid)
                       : pb_rpc_error("not_found", "'%s' is not watched", match);
    return s_watching(self);
}

/* The daemon's targets live in its built-in agent; they are copied from it
 * in-process (pb_agent_targets_describe takes the agent's lock only for the
 * copy), so this op never waits on the agent's socket thread or a profile.
 * Profiling ops themselves go to profile_endpoint. */
static pb_value_t *s_op_targets(pb_control_t *self, const pb_value_t *request)
{
    (void)request;
    const pb_control_status_t *st = &self->status;
    pb_value_t *list = st->describe_targets ? st->describe_targets(st->targets_arg) : NULL;
    if (!list)
        return pb_rpc_error("internal", "cannot list the profiling agent's targets: %s",
                            st->describe_targets ? "out of memory" : "no agent");
    pb_value_t *reply = s_ok_with("targets", &list);
    if (reply &&
        (pb_value_map_put_str(reply, "profile_endpoint", self->status.profile_endpoint) < 0 ||
         pb_value_map_put_str(reply, "profile_pub_endpoint", self->status.profile_pub_endpoint) <
             0))
        pb_value_destroy(&reply);
    return reply;
}

static int s_put_connections(pb_value_t *reply, const pb_control_status_t *st)
{
    int rc = pb_value_map_put_uint(reply, "max_connections", st->max_connections);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "connections_live", st->connections_live);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "connections_refused", st->connections_refused);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "handshakes_denied", st->handshakes_denied);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "handshakes_failed", st->handshakes_failed);
    return rc;
}

static pb_value_t *s_op_health(pb_control_t *self, const pb_value_t *request)
{
    (void)request;
    const pb_control_status_t *st = &self->status;
    pb_value_t *reply = pb_rpc_ok();
    int rc = reply ? 0 : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put_str(reply, "status", "ok");
    if (rc == 0)
        rc = pb_value_map_put_str(reply, "version", PB_VERSION);
    if (rc == 0)
        rc = pb_value_map_put_str(reply, "host", st->host ? st->host : "");
    if (rc == 0)
        rc = pb_value_map_put_str(reply, "src", st->src ? st->src : "");
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "pid", (uint64_t)getpid());
    if (rc == 0)
        rc = pb_value_map_put_float(reply, "uptime_s", st->uptime_s);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "frames_sent", st->frames_sent);
    if (rc == 0)
        rc = pb_value_map_put_uint(reply, "procs_tracked", pb_proc_sampler_tracked(self->procs));
    if (rc == 0)
        rc = pb_value_map_put_float(reply, "interval_s", st->interval_s);
    if (rc == 0)
        rc = pb_value_map_put_str(reply, "profile_endpoint", st->profile_endpoint);
    if (rc == 0)
        rc = s_put_connections(reply, st);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

typedef pb_value_t *(*s_op_fn)(pb_control_t *self, const pb_value_t *request);

static const struct {
    const char *name;
    s_op_fn fn;
} s_ops[] = {
    {"system", s_op_system},   {"process", s_op_process}, {"watch", s_op_watch},
    {"unwatch", s_op_unwatch}, {"targets", s_op_targets}, {"health", s_op_health},
};

pb_value_t *pb_control_handle(void *arg, const char *op, const pb_value_t *request)
{
    pb_log_debug("control request '%.64s'", op);
    for (size_t i = 0; i < sizeof s_ops / sizeof s_ops[0]; i++)
        if (strcmp(op, s_ops[i].name) == 0)
            return s_ops[i].fn(arg, request);
    return pb_rpc_error("unknown_op",
                        "unknown op '%.64s' (ops: system, process, watch, unwatch, targets, "
                        "health)",
                        op);
}
