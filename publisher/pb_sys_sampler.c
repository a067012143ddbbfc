/* pb_sys_sampler: one sys frame body per call — every system metric, rates against the previous
 * call. */
#include "pb_sys_sampler.h"

#include "pb_codec.h"
#include "pb_log.h"
#include "pb_sys_activity.h"
#include "pb_sys_cpu.h"
#include "pb_sys_disk.h"
#include "pb_sys_load.h"
#include "pb_sys_mem.h"
#include "pb_sys_metric.h"
#include "pb_sys_net.h"
#include "pb_sys_pressure.h"
#include "pb_sys_uname.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every system metric: a new one is a new pb_sys_<name>.c and one line here. */
static const pb_sys_metric_t *const s_metrics[] = {
    &pb_sys_load_metric, &pb_sys_cpu_metric,      &pb_sys_mem_metric,      &pb_sys_disk_metric,
    &pb_sys_net_metric,  &pb_sys_activity_metric, &pb_sys_pressure_metric, &pb_sys_uname_metric,
};

#define S_NMETRICS (sizeof s_metrics / sizeof s_metrics[0])

struct pb_sys_sampler {
    char *root;
    pb_mpwrite_t *scratch; /* pb_sys_sampler_sample's body, decoded into a tree */
    pb_sys_ctx_t ctx;
    void *states[S_NMETRICS];
    bool have_prev;
    uint64_t prev_ns;
};

static const pb_catalog_field_t *s_top[2]; /* interval_s first */
static int s_keys_rc;
static char s_keys_err[160];
static pthread_once_t s_keys_once = PTHREAD_ONCE_INIT;

static void s_keys_resolve(void)
{
    static const char *const top[] = {"interval_s", "first"};
    char *err = s_keys_err;
    size_t errlen = sizeof s_keys_err;
    s_keys_rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 2, s_top, err, errlen);
    for (size_t i = 0; s_keys_rc == 0 && i < S_NMETRICS; i++)
        s_keys_rc = s_metrics[i]->keys(err, errlen);
}

int pb_sys_sampler_keys(char *err, size_t errlen)
{
    pthread_once(&s_keys_once, s_keys_resolve);
    if (s_keys_rc < 0 && err && errlen > 0)
        snprintf(err, errlen, "%s", s_keys_err);
    return s_keys_rc;
}

pb_sys_sampler_t *pb_sys_sampler_new(const char *root)
{
    char err[160];
    if (pb_sys_sampler_keys(err, sizeof err) < 0) {
        pb_log_error("sys sampler: %s", err);
        return NULL;
    }
    pb_sys_sampler_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->root = strdup(root ? root : "");
    self->ctx.pids = pb_procfs_pidlist_new(root);
    self->scratch = pb_mpwrite_new();
    bool ok = self->root != NULL && self->ctx.pids != NULL && self->scratch != NULL;
    for (size_t i = 0; ok && i < S_NMETRICS; i++) {
        self->states[i] = calloc(1, s_metrics[i]->state_size + 1);
        ok = self->states[i] != NULL;
    }
    if (!ok)
        pb_sys_sampler_destroy(&self);
    else
        self->ctx.root = self->root;
    return self;
}

/* Frees what the metrics hold and zeroes their state: the next sample is a first. */
static void s_reset(pb_sys_sampler_t *self)
{
    for (size_t i = 0; i < S_NMETRICS; i++) {
        if (!self->states[i])
            continue;
        if (s_metrics[i]->release)
            s_metrics[i]->release(self->states[i]);
        memset(self->states[i], 0, s_metrics[i]->state_size);
    }
    self->have_prev = false;
}

void pb_sys_sampler_destroy(pb_sys_sampler_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sys_sampler_t *self = *self_p;
    s_reset(self);
    for (size_t i = 0; i < S_NMETRICS; i++)
        free(self->states[i]);
    pb_sys_metric_close_files(&self->ctx);
    pb_procfs_pidlist_destroy(&self->ctx.pids);
    for (int i = 0; i < PB_SYS_FILES_MAX; i++)
        pb_procfs_buf_release(&self->ctx.files[i].buf);
    pb_mpwrite_destroy(&self->scratch);
    free(self->root);
    free(self);
    *self_p = NULL;
}

static void s_begin_cycle(pb_sys_sampler_t *self, uint64_t mono_ns, char *err, size_t errlen)
{
    pb_sys_ctx_t *ctx = &self->ctx;
    ctx->gen++;
    ctx->mono_ns = mono_ns;
    ctx->first = !self->have_prev || mono_ns <= self->prev_ns;
    ctx->interval_s = ctx->first ? 0.0 : (double)(mono_ns - self->prev_ns) / 1e9;
    for (int i = 0; i < PB_SYS_FILES_MAX; i++)
        ctx->files[i].loaded = false;
    ctx->err = err;
    ctx->errlen = errlen;
    if (err && errlen > 0)
        err[0] = '\0';
}

static int s_run_metrics(pb_sys_sampler_t *self, pb_mpwrite_t *w)
{
    pb_sys_ctx_t *ctx = &self->ctx;
    pb_mpwrite_float(w, s_top[0], ctx->interval_s);
    int rc = pb_mpwrite_bool(w, s_top[1], ctx->first);
    for (size_t i = 0; rc == 0 && i < S_NMETRICS; i++)
        rc = s_metrics[i]->sample(self->states[i], ctx, w);
    if (rc < 0 && ctx->err && ctx->errlen > 0 && ctx->err[0] == '\0')
        pb_sys_metric_fail(ctx, rc, "%s: %s", "sys sample", strerror(-rc));
    return rc;
}

int pb_sys_sampler_write(pb_sys_sampler_t *self, uint64_t mono_ns, pb_mpwrite_t *w, char *err,
                         size_t errlen)
{
    s_begin_cycle(self, mono_ns, err, errlen);
    int rc = s_run_metrics(self, w);
    self->ctx.err = NULL;
    self->ctx.errlen = 0;
    if (rc < 0) {
        s_reset(self);
        return rc;
    }
    self->have_prev = true;
    self->prev_ns = mono_ns;
    return 0;
}

int pb_sys_sampler_sample(pb_sys_sampler_t *self, uint64_t mono_ns, pb_value_t **body_p, char *err,
                          size_t errlen)
{
    pb_mpwrite_t *w = self->scratch;
    pb_mpwrite_reset(w);
    pb_mpwrite_map(w, NULL);
    int rc = pb_sys_sampler_write(self, mono_ns, w, err, errlen);
    if (rc < 0)
        return rc;
    rc = pb_mpwrite_end(w);
    if (rc == 0)
        rc = pb_codec_decode(pb_mpwrite_data(w), pb_mpwrite_len(w), body_p, err, errlen);
    return rc;
}

pb_procfs_pidlist_t *pb_sys_sampler_pidlist(pb_sys_sampler_t *self)
{
    return self->ctx.pids;
}

uint64_t pb_sys_sampler_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
