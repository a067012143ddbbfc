/* pb_sealer: a queue of closed segments and the one thread that seals them, in order. */
#include "pb_sealer.h"

#include "pb_grow.h"
#include "pb_log.h"
#include "pb_sealed.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pb_sealer {
    int level;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started, stop;
    char **queue; /* FIFO: queue[head..n) */
    size_t head, n, cap;
    size_t busy; /* 1 while a seal runs */
};

pb_sealer_t *pb_sealer_new(int level)
{
    pb_sealer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->level = level;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    return self;
}

static int s_seal(const char *path, int level)
{
    int rc = pb_sealed_seal(path, level);
    if (rc < 0)
        pb_log_warn("sealing %s failed: %s (it stays uncompressed and readable)", path,
                    strerror(-rc));
    return rc;
}

/* The next path to seal (owned by the caller), or NULL once stopped and drained. Locked. */
static char *s_pop(pb_sealer_t *self)
{
    while (self->head == self->n && !self->stop)
        pthread_cond_wait(&self->cv, &self->mu);
    if (self->head == self->n)
        return NULL;
    char *path = self->queue[self->head++];
    if (self->head == self->n)
        self->head = self->n = 0;
    self->busy = 1;
    return path;
}

static void *s_main(void *arg)
{
    pb_sealer_t *self = arg;
    pthread_mutex_lock(&self->mu);
    char *path;
    while ((path = s_pop(self)) != NULL) {
        pthread_mutex_unlock(&self->mu);
        s_seal(path, self->level);
        free(path);
        pthread_mutex_lock(&self->mu);
        self->busy = 0;
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

/* Appends a copy of path and makes sure the thread runs. 0 or -ENOMEM/-EAGAIN. Locked. */
static int s_enqueue(pb_sealer_t *self, const char *path)
{
    if (pb_grow((void **)&self->queue, &self->cap, self->n, sizeof *self->queue, 8) < 0)
        return -ENOMEM;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    if (!self->started && pthread_create(&self->thread, NULL, s_main, self) != 0) {
        free(copy);
        return -EAGAIN;
    }
    self->started = 1;
    self->queue[self->n++] = copy;
    pthread_cond_signal(&self->cv);
    return 0;
}

int pb_sealer_push(pb_sealer_t *self, const char *path)
{
    pthread_mutex_lock(&self->mu);
    int rc = s_enqueue(self, path);
    pthread_mutex_unlock(&self->mu);
    return rc == 0 ? 0 : s_seal(path, self->level);
}

size_t pb_sealer_pending(pb_sealer_t *self)
{
    pthread_mutex_lock(&self->mu);
    size_t n = self->n - self->head + self->busy;
    pthread_mutex_unlock(&self->mu);
    return n;
}

void pb_sealer_destroy(pb_sealer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_sealer_t *self = *self_p;
    pthread_mutex_lock(&self->mu);
    self->stop = 1;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
    if (self->started)
        pthread_join(self->thread, NULL);
    for (size_t i = self->head; i < self->n; i++)
        free(self->queue[i]);
    free(self->queue);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cv);
    free(self);
    *self_p = NULL;
}
