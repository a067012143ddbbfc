/* pb_test_swap: a root directory the sampler tests repoint between captured /proc trees. */
#ifndef PB_TEST_SWAP_H
#define PB_TEST_SWAP_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A symlink in a fresh temp dir; a sampler created on `link` reads whatever
 * tree the link points at, so one sampler sees snapshot t0, then t1. */
typedef struct {
    char dir[64];
    char link[96];
} pb_test_swap_t;

static inline void pb_test_swap_to(pb_test_swap_t *sw, const char *target)
{
    unlink(sw->link);
    ck_assert_int_eq(symlink(target, sw->link), 0);
}

/* Creates the temp dir and points the link at target. */
static inline void pb_test_swap_start(pb_test_swap_t *sw, const char *target)
{
    snprintf(sw->dir, sizeof sw->dir, "/tmp/pb_swap_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(sw->dir));
    snprintf(sw->link, sizeof sw->link, "%s/root", sw->dir);
    pb_test_swap_to(sw, target);
}

static inline void pb_test_swap_end(pb_test_swap_t *sw)
{
    unlink(sw->link);
    rmdir(sw->dir);
}

#endif
