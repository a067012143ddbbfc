/* pb_proc_select: which processes get proc frames — watched pids, comm regexes, top N, all. */
#ifndef PB_PROC_SELECT_H
#define PB_PROC_SELECT_H

#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_proc_select pb_proc_select_t;

/* NULL on ENOMEM. */
pb_proc_select_t *pb_proc_select_new(void);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_proc_select_destroy(pb_proc_select_t **self_p);

/* Returns 0 (also when already there) or -ENOMEM. */
int pb_proc_select_add_pid(pb_proc_select_t *self, uint32_t pid);

/* Returns 0, or -ENOENT when pid is not in the list. */
int pb_proc_select_remove_pid(pb_proc_select_t *self, uint32_t pid);

/* Adds a POSIX extended regex matched against comm. Returns 0 (also when
 * already there), -EINVAL with regerror's text in err, or -ENOMEM. */
int pb_proc_select_add_match(pb_proc_select_t *self, const char *regex, char *err, size_t errlen);

/* Returns 0, or -ENOENT when regex (compared as a string) is not there. */
int pb_proc_select_remove_match(pb_proc_select_t *self, const char *regex);

void pb_proc_select_set_top(pb_proc_select_t *self, unsigned n);
unsigned pb_proc_select_top(const pb_proc_select_t *self);
void pb_proc_select_set_all(pb_proc_select_t *self, bool all);

/* The watched pids, ascending (borrowed; valid until the next change). */
size_t pb_proc_select_npids(const pb_proc_select_t *self);
const uint32_t *pb_proc_select_pids(const pb_proc_select_t *self);

/* Must every pid be looked at (all, top N or a regex)? */
bool pb_proc_select_needs_listing(const pb_proc_select_t *self);

/* Is the process selected by all, its pid or a regex on its comm? (Top N is
 * the sampler's business: it needs the CPU % of every process.) */
bool pb_proc_select_wants(const pb_proc_select_t *self, uint32_t pid, const char *comm);

/* A new {pids: [uint], matches: [str], top: uint, all: bool}; NULL on ENOMEM. */
pb_value_t *pb_proc_select_describe(const pb_proc_select_t *self);

#endif
