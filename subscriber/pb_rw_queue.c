/* pb_rw_queue: a FIFO of encoded samples in reusable blocks, bounded by count, drop-oldest. */
#include "pb_rw_queue.h"

#include "pb_prompb.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_BLOCK     (64 * 1024)
#define S_SPARE_MAX 16 /* empty blocks kept for reuse */

/* Entries fill [head, tail) of data; a block is only appended to at the tail of the queue. */
typedef struct s_block {
    struct s_block *next;
    size_t head, tail, cap;
    char data[];
} s_block_t;

struct pb_rw_queue {
    s_block_t *first, *last, *spare;
    size_t nspare, len, max;
    uint64_t dropped;
};

pb_rw_queue_t *pb_rw_queue_new(size_t max_samples)
{
    pb_rw_queue_t *self = calloc(1, sizeof *self);
    if (self)
        self->max = max_samples ? max_samples : 1;
    return self;
}

static void s_free_list(s_block_t *b)
{
    while (b) {
        s_block_t *next = b->next;
        free(b);
        b = next;
    }
}

void pb_rw_queue_destroy(pb_rw_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_list((*self_p)->first);
    s_free_list((*self_p)->spare);
    free(*self_p);
    *self_p = NULL;
}

static s_block_t *s_block_new(pb_rw_queue_t *self, size_t need)
{
    s_block_t *b = NULL;
    if (self->spare && self->spare->cap >= need) {
        b = self->spare;
        self->spare = b->next;
        self->nspare--;
    } else {
        size_t cap = need > S_BLOCK ? need : S_BLOCK;
        b = malloc(sizeof *b + cap);
        if (b)
            b->cap = cap;
    }
    if (b)
        b->next = NULL, b->head = b->tail = 0;
    return b;
}

static void s_recycle(pb_rw_queue_t *self, s_block_t *b)
{
    if (self->nspare < S_SPARE_MAX && b->cap == S_BLOCK) {
        b->next = self->spare;
        self->spare = b;
        self->nspare++;
    } else
        free(b);
}

/* Removes the oldest entry, copied to out first when out is not NULL
 * (false, and the entry stays, when out failed for memory). */
static bool s_pop(pb_rw_queue_t *self, pb_prom_out_t *out)
{
    s_block_t *b = self->first;
    size_t n = pb_prompb_entry_size(b->data + b->head, b->tail - b->head);
    if (out)
        pb_prom_out_append(out, b->data + b->head, n);
    if (out && out->failed)
        return false;
    b->head += n;
    self->len--;
    if (b->head < b->tail)
        return true;
    self->first = b->next;
    if (!self->first)
        self->last = NULL;
    s_recycle(self, b);
    return true;
}

static int s_append(pb_rw_queue_t *self, const char *entry, size_t n)
{
    s_block_t *b = self->last;
    if (!b || b->cap - b->tail < n) {
        s_block_t *nb = s_block_new(self, n);
        if (!nb)
            return -ENOMEM;
        if (b)
            b->next = nb;
        else
            self->first = nb;
        self->last = b = nb;
    }
    memcpy(b->data + b->tail, entry, n);
    b->tail += n;
    self->len++;
    return 0;
}

int pb_rw_queue_push(pb_rw_queue_t *self, const void *buf, size_t len)
{
    const char *p = buf;
    int count = 0;
    for (size_t off = 0, n = 0; off < len; off += n, count++)
        if ((n = pb_prompb_entry_size(p + off, len - off)) == 0)
            return -EINVAL;
    for (size_t off = 0; off < len;) {
        size_t n = pb_prompb_entry_size(p + off, len - off);
        if (s_append(self, p + off, n) < 0)
            return -ENOMEM; /* the earlier entries stay: each is whole */
        off += n;
    }
    for (; self->len > self->max; self->dropped++)
        s_pop(self, NULL);
    return count;
}

size_t pb_rw_queue_take(pb_rw_queue_t *self, pb_prom_out_t *out, size_t max)
{
    size_t moved = 0;
    while (moved < max && self->len > 0 && !out->failed && s_pop(self, out))
        moved++;
    return moved;
}

size_t pb_rw_queue_len(const pb_rw_queue_t *self)
{
    return self->len;
}

uint64_t pb_rw_queue_dropped(const pb_rw_queue_t *self)
{
    return self->dropped;
}
