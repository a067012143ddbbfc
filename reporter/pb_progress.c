/* pb_progress: throttled progress on stderr for slow reads and renders. */
#include "pb_progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct pb_progress {
    FILE *out;
    double start, last;
    int shown, tty;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pb_progress_t *pb_progress_new(FILE *out)
{
    pb_progress_t *self = calloc(1, sizeof(pb_progress_t));
    if (!self)
        return NULL;
    self->out = out;
    self->start = s_now();
    self->tty = isatty(fileno(out));
    return self;
}

void pb_progress_destroy(pb_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void pb_progress_update(pb_progress_t *self, const char *fmt, ...)
{
    if (!self)
        return;
    double now = s_now();
    if (now - self->start < 1.0 || now - self->last < (self->tty ? 0.25 : 1.0))
        return;
    self->last = now;
    self->shown = 1;
    fprintf(self->out, "%sperfbus-report: ", self->tty ? "\r\033[K" : "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(self->out, fmt, ap);
    va_end(ap);
    fprintf(self->out, " (%.1f s)%s", now - self->start, self->tty ? "" : "\n");
    fflush(self->out);
}

int pb_progress_done(pb_progress_t *self, const char *what)
{
    if (!self || !self->shown)
        return 0;
    fprintf(self->out, "%sperfbus-report: %s in %.1f s\n", self->tty ? "\r\033[K" : "", what,
            s_now() - self->start);
    return 1;
}
