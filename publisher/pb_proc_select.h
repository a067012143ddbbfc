/* pb_proc_select: which processes get proc frames — watched pids, comm patterns, top N, all. */
#ifndef PB_PROC_SELECT_H
#define PB_PROC_SELECT_H

#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one rule for patterns, from the network (`watch`) and from the config
 * file or flags alike: at most this many, each at most this many bytes. */
#define PB_PROC_SELECT_MAX_MATCHES 32
#define PB_PROC_SELECT_MAX_PATTERN 127
/* A pattern whose compiled form is larger is refused (nested counted
 * repetition is what makes it so). */
#define PB_PROC_SELECT_MAX_COMPILED (16 * 1024)
/* Backtracking steps one match may take; a well-formed pattern needs a few
 * hundred at most against a 15-byte comm. Reaching it counts as no match. */
#define PB_PROC_SELECT_MATCH_LIMIT 2000
#define PB_PROC_SELECT_COMM_MAX    64

typedef struct pb_proc_select pb_proc_select_t;

/* A caller-kept memo of one process's verdict against the patterns (e.g. in
 * the sampler's per-pid entry), so that a process is matched again only when
 * it is new, renamed (comm), restarted (starttime), or the patterns changed.
 * Zero-initialise it; zero means "nothing known". */
typedef struct {
    uint64_t gen; /* pattern-set generation of the verdict; 0 = none */
    uint64_t starttime;
    char comm[PB_PROC_SELECT_COMM_MAX];
    bool wanted;
} pb_proc_select_memo_t;

/* Counters since pb_proc_select_new. */
typedef struct {
    uint64_t matches_run; /* pattern matches actually run (cache misses x patterns) */
    uint64_t limit_hits;  /* of which stopped by a match, depth, heap or JIT stack limit */
} pb_proc_select_stats_t;

/* NULL on ENOMEM (or when PCRE2's contexts cannot be made). */
pb_proc_select_t *pb_proc_select_new(void);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_proc_select_destroy(pb_proc_select_t **self_p);

/* Returns 0 (also when already there) or -ENOMEM. */
int pb_proc_select_add_pid(pb_proc_select_t *self, uint32_t pid);

/* Returns 0, or -ENOENT when pid is not in the list. */
int pb_proc_select_remove_pid(pb_proc_select_t *self, uint32_t pid);

/* Adds a PCRE2 pattern (Perl syntax, UTF-8, unanchored) matched against
 * comm. Returns 0 (also when already there) or, with a one-line reason in err:
 * -ENOSPC when PB_PROC_SELECT_MAX_MATCHES are already there, -E2BIG when the
 * pattern is longer than PB_PROC_SELECT_MAX_PATTERN bytes or compiles to more
 * than PB_PROC_SELECT_MAX_COMPILED bytes, -EINVAL when it is empty or does not
 * compile, -ENOMEM. */
int pb_proc_select_add_match(pb_proc_select_t *self, const char *pattern, char *err, size_t errlen);

/* Returns 0, or -ENOENT when pattern (compared as a string) is not there. */
int pb_proc_select_remove_match(pb_proc_select_t *self, const char *pattern);

void pb_proc_select_set_top(pb_proc_select_t *self, unsigned n);
unsigned pb_proc_select_top(const pb_proc_select_t *self);
void pb_proc_select_set_all(pb_proc_select_t *self, bool all);

/* The watched pids, ascending (borrowed; valid until the next change). */
size_t pb_proc_select_npids(const pb_proc_select_t *self);
const uint32_t *pb_proc_select_pids(const pb_proc_select_t *self);

/* Must every pid be looked at (all, top N or a pattern)? */
bool pb_proc_select_needs_listing(const pb_proc_select_t *self);

/* Is the process selected by all, its pid or a pattern on its comm? (Top N
 * is the sampler's business: it needs the CPU % of every process.) The
 * pattern verdict is taken from memo when it still holds and stored there
 * otherwise; memo may be NULL (always matched). A match stopped by a limit
 * is no match; it is counted and logged. Can't fail. */
bool pb_proc_select_wants(pb_proc_select_t *self, uint32_t pid, uint64_t starttime,
                          const char *comm, pb_proc_select_memo_t *memo);

/* Fills *out with the counters. Can't fail. */
void pb_proc_select_stats(const pb_proc_select_t *self, pb_proc_select_stats_t *out);

/* A new {pids: [uint], matches: [str], top: uint, all: bool}; NULL on ENOMEM. */
pb_value_t *pb_proc_select_describe(const pb_proc_select_t *self);

#endif
