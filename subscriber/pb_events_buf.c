/* pb_events_buf: a growing ring of bytes with a hard bound, for one SSE client. */
#include "pb_events_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_FIRST 4096 /* bytes allocated for the first event */

struct pb_events_buf {
    char *data;
    size_t cap, head, len, bound, peak; /* bytes [head, head + len) mod cap */
};

pb_events_buf_t *pb_events_buf_new(size_t bound)
{
    pb_events_buf_t *self = bound ? calloc(1, sizeof *self) : NULL;
    if (self)
        self->bound = bound;
    return self;
}

void pb_events_buf_destroy(pb_events_buf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->data);
    free(*self_p);
    *self_p = NULL;
}

/* Copies n bytes out of the ring from offset off (of the held bytes) into out. */
static void s_copy_out(const pb_events_buf_t *self, size_t off, char *out, size_t n)
{
    size_t at = (self->head + off) % self->cap, first = self->cap - at < n ? self->cap - at : n;
    memcpy(out, self->data + at, first);
    memcpy(out + first, self->data, n - first);
}

/* Room for need bytes in all: a new linear array of the next doubling. */
static int s_grow(pb_events_buf_t *self, size_t need)
{
    size_t cap = self->cap ? self->cap : S_FIRST;
    while (cap < need)
        cap *= 2;
    cap = cap > self->bound ? self->bound : cap;
    char *data = malloc(cap);
    if (!data)
        return -ENOMEM;
    if (self->len)
        s_copy_out(self, 0, data, self->len);
    free(self->data);
    self->data = data;
    self->cap = cap;
    self->head = 0;
    return 0;
}

int pb_events_buf_put(pb_events_buf_t *self, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    if (len > self->bound - self->len)
        return -ENOBUFS;
    if (self->len + len > self->cap && s_grow(self, self->len + len) < 0)
        return -ENOMEM;
    size_t at = (self->head + self->len) % self->cap;
    size_t first = self->cap - at < len ? self->cap - at : len;
    memcpy(self->data + at, data, first);
    memcpy(self->data, (const char *)data + first, len - first);
    self->len += len;
    self->peak = self->len > self->peak ? self->len : self->peak;
    return 0;
}

size_t pb_events_buf_take(pb_events_buf_t *self, void *out, size_t max)
{
    size_t n = max < self->len ? max : self->len;
    if (n)
        s_copy_out(self, 0, out, n);
    self->head = self->cap ? (self->head + n) % self->cap : 0;
    self->len -= n;
    return n;
}

size_t pb_events_buf_len(const pb_events_buf_t *self)
{
    return self->len;
}

size_t pb_events_buf_peak(const pb_events_buf_t *self)
{
    return self->peak;
}
