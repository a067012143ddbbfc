/* pb_profile: a profile result from a prof frame — top-functions table and flame-graph boxes. */
#ifndef PB_PROFILE_H
#define PB_PROFILE_H

#include "pb_table.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

#define PB_PROFILE_MAX_ROWS  15  /* functions in the table */
#define PB_PROFILE_MAX_BOXES 600 /* flame-graph boxes kept (the widest) */
#define PB_PROFILE_MAX_DEPTH 32  /* stack levels drawn */

/* One flame-graph box: x and w are fractions (0..1) of the graph's width;
 * depth 0 is the root level. */
typedef struct {
    double x, w;
    unsigned depth;
    char name[64];  /* UTF-8, cut to fit */
    uint64_t count; /* samples under this node */
    double seconds; /* count * seconds per sample */
} pb_profile_box_t;

struct pb_profile {
    char host[64], name[64], mode[16]; /* name: target or section */
    uint64_t ts;                       /* envelope ts */
    char about[160];                   /* one line: runs, wall time, samples or calls */
    pb_table_row_t header;             /* column names of rows */
    size_t nrows;
    pb_table_row_t rows[PB_PROFILE_MAX_ROWS];
    size_t nboxes;
    unsigned depth; /* levels used by boxes */
    pb_profile_box_t *boxes;
};
typedef struct pb_profile pb_profile_t;

/* Reads a decoded prof frame (schemas: the agent's `profile` result plus the
 * envelope): `sampling` gives functions by total time (self/total % and s)
 * and a flame graph from its `tree`; `tracing` gives cProfile's ncalls,
 * tottime, cumtime; `detailed` gives one row per run. Returns 0 with *out_p
 * owned by the caller; -ENODATA for a frame without a result section (an
 * error result); -EINVAL with err for a malformed one; -ENOMEM. */
int pb_profile_parse(const pb_value_t *frame, pb_profile_t **out_p, char *err, size_t errlen);

/* Frees a profile. Accepts NULL; sets *self_p to NULL. */
void pb_profile_destroy(pb_profile_t **self_p);

#endif
