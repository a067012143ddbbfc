/* pb_agent_ops: the agent's socket thread — request framing, validation, the ops, replies and
 * prof.* frames. */
#include "pb_agent_impl.h"
#include "pb_agent_local.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_rpc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Requests are answered at once, except profile and simulate: those become
 * jobs that keep the client (a pb_rpc_peer_t) and are answered when the
 * worker is done, or with `timeout` at their deadline (the job then goes on
 * off the profiler and its result is published and kept for `results`).
 * The socket thread is also the reaper: each pass expires armed jobs at
 * their deadline and frees the profiler of any job past deadline + grace. */

static int s_put_error(pb_value_t *reply, const char *code, const char *message)
{
    pb_value_t *err = pb_value_map_new();
    int rc = err ? pb_value_map_put_str(err, "code", code) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(err, "message", message);
    rc = rc ? rc : pb_value_map_put(reply, "error", &err);
    pb_value_destroy(&err);
    return rc;
}

/* Publishes a finished job's result as a prof.<host>.<name> frame. */
static void s_publish(pb_agent_t *self, const pb_job_t *job)
{
    char topic[512];
    if (pb_frame_topic(topic, sizeof topic, "prof", self->host, job->name) < 0)
        return;
    pb_value_t *frame = pb_frame_new("prof", self->host, self->src, self->seq, pb_frame_now_ns());
    pb_value_t *body = job->result ? pb_value_dup(job->result) : pb_value_map_new();
    int rc = frame && body ? pb_value_map_put_str(body, "op", job->op) : -ENOMEM;
    if (rc == 0 && !job->result) {
        rc = pb_value_map_put_uint(body, "id", job->id);
        rc = rc ? rc : pb_value_map_put_str(body, job->target ? "target" : "section", job->name);
        rc = rc ? rc : s_put_error(body, job->code, job->message);
    }
    rc = rc ? rc : pb_value_map_merge(frame, &body);
    char *buf = NULL;
    size_t len = 0;
    if (rc == 0 && pb_codec_encode(frame, &buf, &len) == 0) {
        zmq_send(self->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(self->pub, buf, len, ZMQ_DONTWAIT);
        self->seq++;
        self->frames_sent++;
    }
    free(buf);
    pb_value_destroy(&body);
    pb_value_destroy(&frame);
}

/* The reply for a finished job: {ok: true, state: "done", ...result} or the error. */
static pb_value_t *s_job_reply(const pb_job_t *job)
{
    if (!job->result) {
        pb_value_t *reply = pb_rpc_error(job->code, "%s", job->message);
        if (reply)
            pb_value_map_put_uint(reply, "id", job->id);
        return reply;
    }
    pb_value_t *reply = pb_rpc_ok();
    pb_value_t *copy = pb_value_dup(job->result);
    int rc = reply && copy ? pb_value_map_put_str(reply, "state", "done") : -ENOMEM;
    rc = rc ? rc : pb_value_map_merge(reply, &copy);
    pb_value_destroy(&copy);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

static void s_answer_job(pb_agent_t *self, pb_job_t *job, pb_value_t *reply)
{
    if (reply && job->peer && !job->answered)
        pb_rpc_reply(self->router, job->peer, reply);
    job->answered = true;
}

static void s_deliver(pb_agent_t *self, pb_job_t *job)
{
    pb_value_t *reply = s_job_reply(job);
    s_answer_job(self, job, reply);
    pb_value_destroy(&reply);
    s_publish(self, job);
    job->delivered = true;
}

/* A profile or simulate job at its deadline (max_seconds + grace): the
 * client gets `timeout`, and an in-process run still going is abandoned so
 * that the profiler is free (the reaper: the agent is never busy longer). */
static void s_overdue(pb_agent_t *self, pb_job_t *job)
{
    if (self->busy == job && !job->target->argv)
        pb_agent_abandon_run(self, job); /* on failure (no thread): again next pass */
    if (job->answered)
        return;
    pb_value_t *reply = pb_rpc_error(
        "timeout",
        "target '%s' still running after max_seconds %.3g + grace %.3g s; the agent keeps "
        "serving and the target is refused until it returns; the result will be published and "
        "kept as {op: results, id: %llu}",
        job->name, job->max_seconds, self->cfg.timeout_grace_s, (unsigned long long)job->id);
    if (reply)
        pb_value_map_put_uint(reply, "id", job->id);
    s_answer_job(self, job, reply);
    pb_value_destroy(&reply);
}

/* An armed job at its deadline ends with the executions seen; one still
 * executing gets the grace, then is abandoned. Returns the next deadline. */
static double s_expire(pb_agent_t *self, pb_job_t *job, double now, double next)
{
    if (now < job->deadline)
        return fmin(next, job->deadline);
    if (pb_agent_arm_end(self, job, "expired"))
        return next;
    double hard = job->deadline + self->cfg.timeout_grace_s;
    if (now < hard)
        return fmin(next, hard);
    char msg[256];
    snprintf(msg, sizeof msg,
             "section '%s' was still executing at max_seconds %.3g + grace %.3g s; the profiler "
             "was freed and this job's data discarded (%u of %u executions had completed)",
             job->name, job->max_seconds, self->cfg.timeout_grace_s, job->done, job->count);
    pb_agent_arm_abandon(self, job, "timeout", msg);
    return next;
}

/* Delivers finished jobs, expires armed ones and times out overdue ones;
 * returns ms to the next deadline, or -1 (wait for a request or a wake) when
 * no job is pending: an idle agent does not wake twice a second for nothing. */
static long s_service_jobs(pb_agent_t *self)
{
    double now = pb_agent_now(), next = now + 0.5;
    bool pending = false;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->njobs; i++) {
        pb_job_t *job = self->jobs[i];
        if (job->state == PB_JOB_DONE && !job->delivered)
            s_deliver(self, job);
        else if (job->state == PB_JOB_ARMED)
            next = s_expire(self, job, now, next);
        else if (job->state != PB_JOB_DONE && job->target && now >= job->deadline)
            s_overdue(self, job);
        else if (job->state != PB_JOB_DONE && job->target)
            next = fmin(next, job->deadline);
        pending = pending || job->state != PB_JOB_DONE || !job->delivered;
    }
    pthread_mutex_unlock(&self->lock);
    long ms = (long)ceil((next - now) * 1000);
    return !pending ? -1 : ms < 1 ? 1 : ms;
}

static int s_arg_str(const pb_value_t *req, const char *key, const char *dflt, const char **out,
                     pb_value_t **err)
{
    pb_value_t *v = pb_value_map_get(req, key);
    *out = dflt;
    if (!v && dflt)
        return 0;
    if (!v || pb_value_get_str(v, out) < 0 || !**out) {
        *err = pb_rpc_error("bad_arg", "'%s' must be a non-empty string", key);
        return -EINVAL;
    }
    return 0;
}

/* An unsigned argument in [1, cap]: bad_arg when malformed or 0, refused above cap. */
static int s_arg_count(const pb_value_t *req, const char *key, uint64_t dflt, uint64_t cap,
                       uint64_t *out, pb_value_t **err)
{
    pb_value_t *v = pb_value_map_get(req, key);
    *out = dflt;
    if (v && (pb_value_get_u64(v, out) < 0 || *out == 0)) {
        *err = pb_rpc_error("bad_arg", "'%s' must be an integer >= 1", key);
        return -EINVAL;
    }
    if (*out > cap) {
        *err = pb_rpc_error("refused", "'%s' %llu is beyond this agent's cap of %llu", key,
                            (unsigned long long)*out, (unsigned long long)cap);
        return -ERANGE;
    }
    return 0;
}

static int s_arg_seconds(const pb_value_t *req, const char *key, double dflt, double cap,
                         double *out, pb_value_t **err)
{
    pb_value_t *v = pb_value_map_get(req, key);
    *out = dflt;
    if (v && (pb_value_get_f64(v, out) < 0 || !isfinite(*out) || *out <= 0)) {
        *err = pb_rpc_error("bad_arg", "'%s' must be a number of seconds > 0", key);
        return -EINVAL;
    }
    if (*out > cap) {
        *err =
            pb_rpc_error("refused", "'%s' %g is beyond this agent's cap of %g s", key, *out, cap);
        return -ERANGE;
    }
    return 0;
}

/* mode, clock and hz of a profile or arm request, checked against `modes`. */
static int s_arg_opts(pb_agent_t *self, const pb_value_t *req, unsigned modes, pb_session_opts_t *o,
                      pb_value_t **err)
{
    const char *mode = NULL, *clock = NULL;
    uint64_t hz = 0;
    const char *dflt = modes & PB_MODE_SAMPLING ? "sampling" : "detailed";
    if (s_arg_str(req, "mode", dflt, &mode, err) < 0 ||
        s_arg_str(req, "clock", "cpu", &clock, err) < 0)
        return -EINVAL;
    int m = pb_session_mode_parse(mode);
    if (m < 0 || !((unsigned)m & modes)) {
        *err = pb_rpc_error("bad_arg", "mode '%s' is not one this target accepts (%s%s%s)", mode,
                            modes & PB_MODE_SAMPLING ? "sampling " : "",
                            modes & PB_MODE_TRACING ? "tracing " : "",
                            modes & PB_MODE_DETAILED ? "detailed" : "");
        return -EINVAL;
    }
    if (strcmp(clock, "cpu") != 0 && strcmp(clock, "wall") != 0) {
        *err = pb_rpc_error("bad_arg", "'clock' must be \"cpu\" or \"wall\", not '%s'", clock);
        return -EINVAL;
    }
    o->mode = (unsigned)m;
    o->clock = clock[0] == 'c' ? PB_CLOCK_CPU : PB_CLOCK_WALL;
    if (s_arg_count(req, "hz", o->clock == PB_CLOCK_CPU ? 250 : 1000, self->cfg.max_hz, &hz, err) <
        0)
        return -EINVAL;
    o->hz = (unsigned)hz;
    return 0;
}

/* Looks the target up and checks it may run; NULL with *err set otherwise. */
static pb_target_t *s_usable_target(pb_agent_t *self, const char *name, pb_value_t **err)
{
    pb_target_t *t = pb_agent_find(self, name);
    if (!t)
        *err = pb_rpc_error("not_found", "no target named '%s' (see {op: targets})", name);
    else if (t->crashed)
        *err = pb_rpc_error("refused", "target '%s' crashed earlier and is refused", name);
    else if (!t->enabled)
        *err = pb_rpc_error("refused",
                            "target '%s' is disabled; enable it with {op: register, target}", name);
    else if (t->running)
        *err = pb_rpc_error("busy",
                            "target '%s' is still running from an earlier job that passed its "
                            "deadline; try again once it returns",
                            name);
    return *err ? NULL : t;
}

static pb_job_t *s_job_new(pb_agent_t *self, const char *op, const char *name,
                           const pb_rpc_peer_t *peer)
{
    pb_job_t *job = calloc(1, sizeof *job);
    if (!job || !(job->name = strdup(name))) {
        free(job);
        return NULL;
    }
    job->id = self->next_id++;
    job->op = op;
    if (peer && !(job->peer = pb_rpc_peer_dup(peer))) {
        free(job->name);
        free(job);
        return NULL;
    }
    return job;
}

static pb_value_t *s_busy(pb_agent_t *self)
{
    return pb_rpc_error("busy", "the profiler is busy with job %llu ('%s'); try again later",
                        (unsigned long long)self->busy->id, self->busy->name);
}

/* Under the lock: accepts a job (remember + queue) or says why not. */
static pb_value_t *s_accept(pb_agent_t *self, pb_job_t *job, bool *deferred)
{
    if (pb_agent_remember(self, job) < 0) {
        pb_agent_job_free(&job);
        return pb_rpc_error("busy", "too many unfinished jobs");
    }
    job->deadline = pb_agent_now() + job->max_seconds + self->cfg.timeout_grace_s;
    pb_agent_enqueue(self, job);
    *deferred = true;
    return NULL;
}

static pb_value_t *s_op_profile(pb_agent_t *self, const pb_value_t *req, const pb_rpc_peer_t *peer,
                                bool *deferred)
{
    pb_value_t *err = NULL;
    const char *name = NULL;
    uint64_t runs = 0;
    double max_s = 0;
    pb_session_opts_t o = {0};
    if (s_arg_str(req, "target", NULL, &name, &err) < 0)
        return err;
    pthread_mutex_lock(&self->lock);
    pb_target_t *t = s_usable_target(self, name, &err);
    if (t && s_arg_opts(self, req, t->modes, &o, &err) == 0 &&
        s_arg_count(req, "runs", 1, self->cfg.max_runs, &runs, &err) == 0 &&
        s_arg_seconds(req, "max_seconds", fmin(10, self->cfg.max_seconds), self->cfg.max_seconds,
                      &max_s, &err) == 0 &&
        !self->busy) {
        pb_job_t *job = s_job_new(self, "profile", name, peer);
        if (job) {
            job->target = t;
            job->opts = o;
            job->opts.max_seconds = max_s;
            job->runs = (unsigned)runs;
            job->max_seconds = max_s;
            err = s_accept(self, job, deferred);
        } else {
            err = pb_rpc_error("internal", "out of memory");
        }
    } else if (t && !err) {
        err = s_busy(self);
    }
    pthread_mutex_unlock(&self->lock);
    return err;
}

static pb_value_t *s_op_simulate(pb_agent_t *self, const pb_value_t *req, const pb_rpc_peer_t *peer,
                                 bool *deferred)
{
    pb_value_t *err = NULL;
    const char *kind = NULL;
    double seconds = 0;
    if (s_arg_str(req, "kind", NULL, &kind, &err) < 0 ||
        s_arg_seconds(req, "seconds", 1, self->cfg.max_seconds, &seconds, &err) < 0)
        return err;
    pthread_mutex_lock(&self->lock);
    pb_target_t *t = s_usable_target(self, kind, &err);
    if (t && t->argv)
        err = pb_rpc_error("bad_arg", "'%s' is a command target; simulate runs workloads", kind);
    else if (t && self->busy)
        err = s_busy(self);
    else if (t) {
        pb_job_t *job = s_job_new(self, "simulate", kind, peer);
        if (job) {
            job->target = t;
            job->runs = self->cfg.max_runs;
            job->max_seconds = seconds;
            err = s_accept(self, job, deferred);
        } else {
            err = pb_rpc_error("internal", "out of memory");
        }
    }
    pthread_mutex_unlock(&self->lock);
    return err;
}

static pb_value_t *s_armed_reply(const pb_job_t *job)
{
    pb_value_t *reply = pb_rpc_ok();
    int rc = reply ? pb_value_map_put_uint(reply, "id", job->id) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(reply, "state", "armed");
    rc = rc ? rc : pb_value_map_put_str(reply, "section", job->name);
    rc = rc ? rc : pb_value_map_put_uint(reply, "count", job->count);
    rc = rc ? rc : pb_value_map_put_str(reply, "mode", pb_session_mode_name(job->opts.mode));
    rc = rc ? rc : pb_value_map_put_float(reply, "max_seconds", job->max_seconds);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

/* Under the lock: a new armed job, or NULL with *err set. Sections are not
 * registered anywhere, so any name is armed: one that never executes
 * expires at max_seconds like any other. */
static pb_job_t *s_arm_new(pb_agent_t *self, const char *section, const pb_session_opts_t *o,
                           unsigned count, double max_s, pb_value_t **err)
{
    pb_job_t *job = s_job_new(self, "arm", section, NULL);
    if (job) {
        job->opts = *o;
        job->count = count;
        job->max_seconds = max_s;
        job->state = PB_JOB_ARMED;
        job->session = pb_session_new(o);
    }
    if (!job || !job->session || pb_agent_remember(self, job) < 0) {
        pb_agent_job_free(&job);
        *err = pb_rpc_error("internal", "cannot arm: out of memory or too many unfinished jobs");
        return NULL;
    }
    job->deadline = pb_agent_now() + max_s;
    self->busy = job;
    atomic_store(&self->armed, job);
    return job;
}

static pb_value_t *s_op_arm(pb_agent_t *self, const pb_value_t *req)
{
    pb_value_t *err = NULL;
    const char *section = NULL;
    uint64_t count = 0;
    double max_s = 0;
    pb_session_opts_t o = {0};
    if (s_arg_str(req, "section", NULL, &section, &err) < 0 ||
        s_arg_count(req, "count", 1, self->cfg.max_runs, &count, &err) < 0 ||
        s_arg_opts(self, req, PB_MODE_ALL, &o, &err) < 0 ||
        s_arg_seconds(req, "max_seconds", fmin(10, self->cfg.max_seconds), self->cfg.max_seconds,
                      &max_s, &err) < 0)
        return err;
    o.max_seconds = max_s;
    pthread_mutex_lock(&self->lock);
    pb_job_t *job = self->busy ? NULL : s_arm_new(self, section, &o, (unsigned)count, max_s, &err);
    if (self->busy && !job)
        err = s_busy(self);
    else if (job)
        err = s_armed_reply(job);
    pthread_mutex_unlock(&self->lock);
    return err;
}

/* Under the lock: cancels the job owning the profiler; returns the reply. */
static pb_value_t *s_cancel(pb_agent_t *self, pb_job_t *job)
{
    bool in_run = false;
    if (job->state == PB_JOB_ARMED && !pb_agent_arm_end(self, job, "cancelled"))
        pb_agent_arm_abandon(self, job, "cancelled",
                             "cancelled while an execution of the section was underway; this "
                             "job's data was discarded");
    else if (job->target) {
        atomic_store(&job->stop, "cancelled");
        in_run = pb_agent_abandon_run(self, job) == 0;
    }
    pb_value_t *reply = pb_rpc_ok();
    int rc = reply ? pb_value_map_put_uint(reply, "id", job->id) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(reply, "op", job->op);
    rc = rc ? rc : pb_value_map_put_str(reply, job->target ? "target" : "section", job->name);
    rc = rc ? rc : pb_value_map_put_str(reply, "state", "cancelled");
    rc = rc ? rc : pb_value_map_put_uint(reply, "done", job->target ? 0 : job->done);
    rc = rc ? rc : pb_value_map_put_bool(reply, "run_in_progress", in_run);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

/* Cancels the current job (optionally only when its id is `id`). An armed
 * section is freed at once; a profile starts no further run, and a run in
 * progress, which cannot be interrupted, goes on off the profiler. */
static pb_value_t *s_op_cancel(pb_agent_t *self, const pb_value_t *req)
{
    uint64_t id = 0;
    pb_value_t *v = pb_value_map_get(req, "id");
    if (v && pb_value_get_u64(v, &id) < 0)
        return pb_rpc_error("bad_arg", "'id' must be the unsigned id of a profile or arm reply");
    pb_value_t *reply = NULL;
    pthread_mutex_lock(&self->lock);
    pb_job_t *job = self->busy;
    if (!job)
        reply = pb_rpc_error("not_found", "nothing to cancel: the profiler is idle");
    else if (v && job->id != id)
        reply = pb_rpc_error("not_found", "job %llu is not the current one (job %llu is)",
                             (unsigned long long)id, (unsigned long long)job->id);
    else
        reply = s_cancel(self, job);
    pthread_mutex_unlock(&self->lock);
    return reply;
}

static const char *s_state_name(pb_job_state_t s)
{
    static const char *names[] = {"queued", "armed", "running", "done"};
    return names[s];
}

static pb_value_t *s_job_status(const pb_job_t *job)
{
    if (job->state == PB_JOB_DONE && job->result)
        return s_job_reply(job);
    pb_value_t *reply = pb_rpc_ok();
    int rc = reply ? pb_value_map_put_uint(reply, "id", job->id) : -ENOMEM;
    bool failed = job->state == PB_JOB_DONE;
    rc = rc ? rc
            : pb_value_map_put_str(reply, "state", failed ? "failed" : s_state_name(job->state));
    rc = rc ? rc : pb_value_map_put_str(reply, job->target ? "target" : "section", job->name);
    if (!job->target) {
        rc = rc ? rc : pb_value_map_put_uint(reply, "done", job->done);
        rc = rc ? rc : pb_value_map_put_uint(reply, "count", job->count);
    }
    if (failed)
        rc = rc ? rc : s_put_error(reply, job->code, job->message);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

static pb_value_t *s_op_results(pb_agent_t *self, const pb_value_t *req)
{
    uint64_t id = 0;
    pb_value_t *v = pb_value_map_get(req, "id");
    if (!v || pb_value_get_u64(v, &id) < 0)
        return pb_rpc_error("bad_arg", "'id' must be the unsigned id of a profile or arm reply");
    pb_value_t *reply = NULL;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->njobs && !reply; i++)
        if (self->jobs[i]->id == id)
            reply = s_job_status(self->jobs[i]);
    pthread_mutex_unlock(&self->lock);
    return reply ? reply
                 : pb_rpc_error("not_found", "no result with id %llu (the last %d are kept)",
                                (unsigned long long)id, PB_AGENT_JOBS);
}

static pb_value_t *s_op_register(pb_agent_t *self, const pb_value_t *req)
{
    pb_value_t *err = NULL;
    const char *name = NULL;
    if (s_arg_str(req, "target", NULL, &name, &err) < 0)
        return err;
    pthread_mutex_lock(&self->lock);
    pb_target_t *t = pb_agent_find(self, name);
    if (!t)
        err = pb_rpc_error("not_found", "no target named '%s' exists in this program", name);
    else if (t->crashed)
        err = pb_rpc_error("refused", "target '%s' crashed earlier and stays refused", name);
    else
        t->enabled = true;
    pthread_mutex_unlock(&self->lock);
    if (err)
        return err;
    pb_value_t *reply = pb_rpc_ok();
    if (reply && (pb_value_map_put_str(reply, "target", name) < 0 ||
                  pb_value_map_put_bool(reply, "enabled", true) < 0))
        pb_value_destroy(&reply);
    return reply;
}

static pb_value_t *s_modes(unsigned modes)
{
    static const unsigned all[] = {PB_MODE_SAMPLING, PB_MODE_TRACING, PB_MODE_DETAILED};
    pb_value_t *list = pb_value_array_new();
    for (size_t i = 0; list && i < 3; i++) {
        pb_value_t *s = modes & all[i] ? pb_value_str_new(pb_session_mode_name(all[i])) : NULL;
        if (modes & all[i] && (!s || pb_value_array_push(list, &s) < 0))
            pb_value_destroy(&list);
    }
    return list;
}

static pb_value_t *s_target_value(const pb_target_t *t)
{
    pb_value_t *m = pb_value_map_new();
    pb_value_t *modes = s_modes(t->modes);
    int rc = m && modes ? pb_value_map_put_str(m, "name", t->name) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(m, "kind", t->argv ? "command" : "function");
    rc = rc ? rc : pb_value_map_put(m, "modes", &modes);
    rc = rc ? rc : pb_value_map_put_str(m, "description", t->description);
    rc = rc ? rc : pb_value_map_put_bool(m, "enabled", t->enabled);
    rc = rc ? rc : pb_value_map_put_bool(m, "crashed", t->crashed);
    pb_value_destroy(&modes);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_agent_targets_describe(pb_agent_t *self)
{
    pb_value_t *list = pb_value_array_new();
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; list && i < self->ntargets; i++) {
        pb_value_t *t = s_target_value(self->targets[i]);
        if (!t || pb_value_array_push(list, &t) < 0)
            pb_value_destroy(&list);
    }
    pthread_mutex_unlock(&self->lock);
    return list;
}

static pb_value_t *s_op_targets(pb_agent_t *self)
{
    pb_value_t *reply = pb_rpc_ok();
    pb_value_t *list = pb_agent_targets_describe(self);
    if (!reply || !list || pb_value_map_put(reply, "targets", &list) < 0)
        pb_value_destroy(&reply);
    pb_value_destroy(&list);
    return reply;
}

static pb_value_t *s_op_health(pb_agent_t *self)
{
    pb_value_t *reply = pb_rpc_ok();
    pthread_mutex_lock(&self->lock);
    int rc = reply ? pb_value_map_put_str(reply, "status", "ok") : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(reply, "version", PB_VERSION);
    rc = rc ? rc : pb_value_map_put_str(reply, "host", self->host);
    rc = rc ? rc : pb_value_map_put_str(reply, "src", self->src);
    rc = rc ? rc : pb_value_map_put_uint(reply, "pid", (uint64_t)getpid());
    rc = rc ? rc : pb_value_map_put_float(reply, "uptime_s", pb_agent_now() - self->started);
    rc = rc ? rc : pb_value_map_put_uint(reply, "targets", self->ntargets);
    rc = rc ? rc : pb_value_map_put_bool(reply, "busy", self->busy != NULL);
    rc = rc ? rc : pb_value_map_put_uint(reply, "jobs_done", self->jobs_done);
    rc = rc ? rc : pb_value_map_put_uint(reply, "frames_sent", self->frames_sent);
    rc = rc ? rc : pb_value_map_put_str(reply, "pub_endpoint", self->pub_endpoint);
    pthread_mutex_unlock(&self->lock);
    uint64_t failed_router, failed_pub, auth; /* socket thread only: no lock */
    pb_sockmon_failures(self->router_mon, &failed_router, &auth);
    pb_sockmon_failures(self->pub_mon, &failed_pub, &auth);
    rc = rc ? rc
            : pb_value_map_put_uint(reply, "handshakes_denied", pb_zap_denied(self->router_cap));
    rc = rc ? rc : pb_value_map_put_uint(reply, "handshakes_failed", failed_router + failed_pub);
    if (rc < 0)
        pb_value_destroy(&reply);
    return reply;
}

/* A pb_rpc_deferring_fn: profile and simulate answer when their job ends. */
static pb_value_t *s_dispatch(void *arg, const char *op, const pb_value_t *req,
                              const pb_rpc_peer_t *peer, bool *deferred)
{
    pb_agent_t *self = arg;
    if (strcmp(op, "health") == 0)
        return s_op_health(self);
    if (strcmp(op, "targets") == 0)
        return s_op_targets(self);
    if (strcmp(op, "register") == 0)
        return s_op_register(self, req);
    if (strcmp(op, "profile") == 0)
        return s_op_profile(self, req, peer, deferred);
    if (strcmp(op, "simulate") == 0)
        return s_op_simulate(self, req, peer, deferred);
    if (strcmp(op, "arm") == 0)
        return s_op_arm(self, req);
    if (strcmp(op, "results") == 0)
        return s_op_results(self, req);
    if (strcmp(op, "cancel") == 0)
        return s_op_cancel(self, req);
    return pb_rpc_error(
        "unknown_op",
        "unknown op '%s' (health, targets, register, profile, simulate, arm, cancel, results)", op);
}

/* Counts connections, answers handshakes under the cap, trims after storms. */
static void s_guard_connections(pb_agent_t *self, short mon_events, short zap_events)
{
    uint64_t now_ns = (uint64_t)(pb_agent_now() * 1e9);
    if (mon_events)
        pb_sockmon_drain(self->router_mon);
    if (zap_events)
        pb_zap_serve(self->router_cap, now_ns);
    pb_sockmon_tick(self->router_mon, now_ns);
}

void *pb_agent_serve(void *arg)
{
    pb_agent_t *self = arg;
    long wait_ms = 100;
    while (!atomic_load(&self->stopping)) {
        zmq_pollitem_t items[5] = {{self->router, 0, ZMQ_POLLIN, 0},
                                   {NULL, self->wakefd, ZMQ_POLLIN, 0},
                                   {pb_sockmon_socket(self->router_mon), 0, ZMQ_POLLIN, 0},
                                   {pb_zap_socket(self->router_cap), 0, ZMQ_POLLIN, 0},
                                   {pb_sockmon_socket(self->pub_mon), 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 5, wait_ms) < 0 && errno != EINTR)
            break;
        if (items[4].revents)
            pb_sockmon_drain(self->pub_mon);
        s_guard_connections(self, items[2].revents, items[3].revents);
        uint64_t drained;
        if (items[1].revents && read(self->wakefd, &drained, sizeof drained) < 0) {
            /* EAGAIN: another wake already drained it */
        }
        while (pb_rpc_serve_one_deferring(self->router, s_dispatch, self) == 0)
            ;
        wait_ms = s_service_jobs(self);
        long trim_ms = pb_sockmon_wait_ms(self->router_mon, (uint64_t)(pb_agent_now() * 1e9));
        if (trim_ms >= 0 && (wait_ms < 0 || trim_ms < wait_ms))
            wait_ms = trim_ms; /* the trim after a connection storm must still come */
    }
    return NULL;
}
