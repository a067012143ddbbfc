/* pb_stacks: aggregates call stacks into per-function counts, a call tree and folded stacks. */
#ifndef PB_STACKS_H
#define PB_STACKS_H

#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pb_stacks pb_stacks_t;

/* One frame of a stack; strings are copied on first sight of a name. */
typedef struct {
    const char *name; /* function name, or a placeholder such as "[unknown]" */
    const char *file; /* may be NULL */
    int line;
} pb_frame_t;

pb_stacks_t *pb_stacks_new(void); /* NULL on ENOMEM */
void pb_stacks_destroy(pb_stacks_t **self_p);

/* Adds `count` samples of one stack given root first (frames[0] is the
 * outermost). A function appearing twice (recursion) counts once in its
 * total. Returns 0, -EINVAL (n == 0) or -ENOMEM. */
int pb_stacks_add(pb_stacks_t *self, const pb_frame_t *frames, size_t n, uint64_t count);

uint64_t pb_stacks_samples(const pb_stacks_t *self);

/* [{name, file, line, self, total, self_pct, total_pct, self_ci_pct [lo, hi],
 *   total_ci_pct [lo, hi], self_s, total_s}] sorted by total then self,
 * descending; at most `limit` entries. `seconds` is the time the samples
 * stand for (each function's time is its share of it). NULL on ENOMEM. */
pb_value_t *pb_stacks_functions(const pb_stacks_t *self, double seconds, size_t limit);

/* [{stack: "a;b;c", count}] most frequent first, at most `limit`. */
pb_value_t *pb_stacks_folded(const pb_stacks_t *self, size_t limit);

/* The call tree as a flat array, parents before children:
 * [{id, parent (-1 for roots), name, self, total}], at most `limit` nodes. */
pb_value_t *pb_stacks_tree(const pb_stacks_t *self, size_t limit);

/* Wilson score interval (95 %) of the proportion k/n, in [0, 1]. */
void pb_stacks_wilson(uint64_t k, uint64_t n, double *lo, double *hi);

#endif
