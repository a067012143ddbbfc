/* pb_agent_section: armed sections (begin/end on the application's threads), their early end
 * (expiry, cancel) and the threads that join a running profile. */
#include "pb_agent_impl.h"

#include <stdio.h>
#include <string.h>

/* An armed job is `armed` (new executions may start) until its count is
 * reached or it ends early; `section_job` is set while one execution runs.
 * The executing thread keeps its own record (thread-local: sections do not
 * nest) of the session and job id, so that a job abandoned meanwhile (cancel,
 * deadline + grace) cannot leave it with a freed session: it ends its run on
 * the session it began, and frees that session itself when the job is no
 * longer the agent's section job. */
typedef struct {
    pb_agent_t *agent;
    pb_session_t *session;
    uint64_t id;
} s_section_t;

static __thread s_section_t s_section;

/* The session threads may join (pb_agent_thread_join) and its generation. */
static pthread_mutex_t s_join_lock = PTHREAD_MUTEX_INITIALIZER;
static pb_session_t *s_join_session;
static unsigned s_join_gen;

void pb_agent_join_set(pb_session_t *session)
{
    pthread_mutex_lock(&s_join_lock);
    s_join_session = session;
    s_join_gen++;
    pthread_mutex_unlock(&s_join_lock);
}

void pb_agent_join_clear(pb_session_t *session)
{
    pthread_mutex_lock(&s_join_lock);
    if (s_join_session == session) {
        s_join_session = NULL;
        s_join_gen++;
    }
    pthread_mutex_unlock(&s_join_lock);
}

int pb_agent_thread_join_at(void *frame)
{
    int token = 0;
    pthread_mutex_lock(&s_join_lock);
    if (s_join_session) {
        int slot = pb_session_join(s_join_session, frame);
        if (slot > 0)
            token = (int)((s_join_gen & 0x7fffffu) << 8) | (slot & 0xff);
    }
    pthread_mutex_unlock(&s_join_lock);
    return token;
}

void pb_agent_thread_leave(int token)
{
    if (token <= 0)
        return;
    pthread_mutex_lock(&s_join_lock);
    if (s_join_session && (unsigned)token >> 8 == (s_join_gen & 0x7fffffu))
        pb_session_leave(s_join_session, token & 0xff);
    pthread_mutex_unlock(&s_join_lock);
}

/* Under the lock: the job takes no more executions; its result is queued. */
static void s_close(pb_agent_t *self, pb_job_t *job)
{
    if (atomic_load(&self->armed) == job)
        atomic_store(&self->armed, NULL);
    job->state = PB_JOB_QUEUED;
    pb_agent_enqueue_result(self, job);
}

bool pb_agent_arm_end(pb_agent_t *self, pb_job_t *job, const char *why)
{
    if (job->state != PB_JOB_ARMED)
        return false;
    atomic_store(&job->stop, why);
    if (atomic_load(&self->armed) == job)
        atomic_store(&self->armed, NULL);
    if (self->section_job == job)
        return false;
    s_close(self, job);
    return true;
}

void pb_agent_arm_abandon(pb_agent_t *self, pb_job_t *job, const char *code, const char *message)
{
    if (atomic_load(&self->armed) == job)
        atomic_store(&self->armed, NULL);
    if (self->section_job == job) {
        self->section_job = NULL;
        job->session = NULL; /* the section's thread frees it */
    }
    snprintf(job->code, sizeof job->code, "%s", code);
    snprintf(job->message, sizeof job->message, "%s", message);
    job->state = PB_JOB_DONE;
    if (self->busy == job)
        self->busy = NULL;
    self->jobs_done++;
}

/* Ends the calling thread's execution record; `counted` when it ran. */
static void s_section_close(pb_agent_t *self, bool counted)
{
    s_section_t rec = s_section;
    s_section = (s_section_t){0};
    pthread_mutex_lock(&self->lock);
    pb_job_t *job = self->section_job;
    bool mine = job && job->id == rec.id && job->session == rec.session;
    if (mine) {
        self->section_job = NULL;
        job->done += counted;
        if (job->done >= job->count || atomic_load(&job->stop))
            s_close(self, job); /* the worker symbolises and builds the result */
    }
    pthread_mutex_unlock(&self->lock);
    if (!mine)
        pb_session_destroy(&rec.session); /* abandoned meanwhile: ours to free */
}

/* Under the lock: claims the armed job for one execution of `section`. */
static bool s_claim(pb_agent_t *self, const char *section)
{
    pb_job_t *job = atomic_load(&self->armed);
    if (!job || self->section_job || strcmp(job->name, section) != 0)
        return false;
    self->section_job = job;
    s_section = (s_section_t){.agent = self, .session = job->session, .id = job->id};
    return true;
}

int pb_agent_section_begin_at(pb_agent_t *self, const char *section, void *frame)
{
    pb_job_t *job = self ? atomic_load_explicit(&self->armed, memory_order_acquire) : NULL;
    if (!job || !section || s_section.agent)
        return 0;
    pthread_mutex_lock(&self->lock);
    bool mine = s_claim(self, section);
    pthread_mutex_unlock(&self->lock);
    if (!mine)
        return 0;
    pb_agent_join_set(s_section.session);
    if (pb_session_run_begin(s_section.session, frame, false) < 0) {
        pb_agent_join_clear(s_section.session);
        s_section_close(self, false);
        return 0;
    }
    return 1;
}

void pb_agent_section_end(pb_agent_t *self, int token)
{
    if (!self || token != 1 || s_section.agent != self)
        return;
    pb_session_run_end(s_section.session);
    pb_agent_join_clear(s_section.session);
    s_section_close(self, true);
}
