/* pb_profview: renders a profile result (a `profile` reply or a prof.* frame) for people and tools.
 */
#ifndef PB_PROFVIEW_H
#define PB_PROFVIEW_H

#include "pb_value.h"

#include <stddef.h>
#include <stdio.h>

/* A readable report: a header with the run figures and the sampling
 * quality, then the top `limit` functions — by total (sampling: total%,
 * self%, seconds, 95 % interval), by cumtime (tracing: pstats' columns
 * ncalls, tottime, percall, cumtime, percall, file:line(function)) — or one
 * row per run (detailed). Returns 0, -EINVAL when result holds no profile
 * section, or -EIO when the stream failed. */
int pb_profview_table(FILE *out, const pb_value_t *result, size_t limit);

/* Folded stacks, "root;child;leaf count" per line (flamegraph.pl,
 * speedscope and inferno read it). Sampling results only: -EINVAL otherwise. */
int pb_profview_folded(FILE *out, const pb_value_t *result);

/* speedscope's file format (a "sampled" profile, unit seconds, one frame per
 * function with file and line). Sampling results only: -EINVAL otherwise;
 * -ENOMEM, -EIO. `name` titles the profile (NULL: the target's name). */
int pb_profview_speedscope(FILE *out, const pb_value_t *result, const char *name);

#endif
