/* pb_sys_sampler: one sys frame body per call — every system metric, rates against the previous
 * call. */
#ifndef PB_SYS_SAMPLER_H
#define PB_SYS_SAMPLER_H

#include "pb_mpwrite.h"
#include "pb_procfs.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pb_sys_sampler pb_sys_sampler_t;

/* Resolves the catalogue fields every metric writes, once per process (later
 * calls return the first result). Returns 0, or -ENOENT with the field the
 * catalogue lacks in err; pb_sys_sampler_new fails then too. */
int pb_sys_sampler_keys(char *err, size_t errlen);

/* root: "" or "/" for the real system, or a directory holding proc/ and sys/
 * (tests use tests/fixtures/proc-<case>). The string is copied. NULL on ENOMEM
 * or when pb_sys_sampler_keys fails. */
pb_sys_sampler_t *pb_sys_sampler_new(const char *root);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_sys_sampler_destroy(pb_sys_sampler_t **self_p);

/* Reads each /proc file once and computes rates against the previous
 * successful call. mono_ns: CLOCK_MONOTONIC now. On success returns 0 and
 * *body_p is a new map (the caller owns it) with every sys field of
 * schemas/FIELDS.md except the envelope; the first call (and the first after a
 * failure, or when mono_ns did not advance) has first: true and no rates.
 * Within a later sample, a core, disk or interface seen for the first time, or
 * whose counters went backwards (wrap, reset), has its counters but no rates.
 * On failure returns a negative errno (-ENOENT, -EINVAL for a malformed file,
 * -ENOMEM) with a one-line message in err, and *body_p is untouched. */
int pb_sys_sampler_sample(pb_sys_sampler_t *self, uint64_t mono_ns, pb_value_t **body_p, char *err,
                          size_t errlen);

/* The same sample written as keys of the map open in w (the frame, after its
 * envelope): the publisher's path, which builds no tree. On failure w holds
 * part of a body and must be reset before its next frame; the rest is as
 * pb_sys_sampler_sample, which decodes what this writes. */
int pb_sys_sampler_write(pb_sys_sampler_t *self, uint64_t mono_ns, pb_mpwrite_t *w, char *err,
                         size_t errlen);

/* CLOCK_MONOTONIC now, in ns. This function can't fail. */
uint64_t pb_sys_sampler_mono_ns(void);

/* The listing of <root>/proc each sample makes to count processes (borrowed,
 * valid while the sampler lives): pb_proc_sampler_share_pidlist takes its
 * pids from it instead of listing /proc a second time. */
pb_procfs_pidlist_t *pb_sys_sampler_pidlist(pb_sys_sampler_t *self);

#endif
