/* pb_proc_select: which processes get proc frames — watched pids, comm patterns, top N, all. */
#include "pb_proc_select.h"

#include "pb_grow.h"
#include "pb_log.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Patterns are PCRE2 (the only PCRE2 caller is this file). Every bound is
 * set once, in the contexts made by new: compile (pattern length, nesting),
 * allocation (no single block above S_ALLOC_MAX, so no pattern can make the
 * daemon grow: POSIX regcomp grew to gigabytes on x{1,32767}{1,32767}), and
 * match (steps, depth, heap, a fixed JIT stack). A match runs only for a
 * process whose memo does not hold, so steady processes cost nothing. */
#define S_ALLOC_MAX    (256 * 1024)
#define S_NEST_LIMIT   32
#define S_DEPTH_LIMIT  1000
#define S_HEAP_KIB     256
#define S_JIT_STACK_LO (32 * 1024)
#define S_JIT_STACK_HI (256 * 1024)
#define S_OPTIONS      (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C)

typedef struct {
    char *pattern;
    pcre2_code *code;
    uint64_t limit_hits;
} s_match_t;

struct pb_proc_select {
    uint32_t *pids; /* ascending */
    size_t npids, pids_cap;
    s_match_t matches[PB_PROC_SELECT_MAX_MATCHES];
    size_t nmatches;
    uint64_t gen; /* +1 whenever the patterns change; memos of older ones are stale */
    pcre2_general_context *gc;
    pcre2_compile_context *cc;
    pcre2_match_context *mc;
    pcre2_jit_stack *jit_stack;
    pcre2_match_data *md; /* one, reused: matching allocates nothing */
    pb_proc_select_stats_t stats;
    unsigned top;
    bool all;
};

static void *s_alloc(PCRE2_SIZE size, void *data)
{
    (void)data;
    return size <= S_ALLOC_MAX ? malloc(size) : NULL;
}

static void s_free(void *block, void *data)
{
    (void)data;
    free(block);
}

static int s_contexts(pb_proc_select_t *self)
{
    self->gc = pcre2_general_context_create(s_alloc, s_free, NULL);
    self->cc = self->gc ? pcre2_compile_context_create(self->gc) : NULL;
    self->mc = self->gc ? pcre2_match_context_create(self->gc) : NULL;
    self->jit_stack =
        self->gc ? pcre2_jit_stack_create(S_JIT_STACK_LO, S_JIT_STACK_HI, self->gc) : NULL;
    self->md = self->gc ? pcre2_match_data_create(1, self->gc) : NULL;
    if (!self->cc || !self->mc || !self->jit_stack || !self->md)
        return -ENOMEM;
    pcre2_set_max_pattern_length(self->cc, PB_PROC_SELECT_MAX_PATTERN);
    pcre2_set_parens_nest_limit(self->cc, S_NEST_LIMIT);
    pcre2_set_match_limit(self->mc, PB_PROC_SELECT_MATCH_LIMIT);
    pcre2_set_depth_limit(self->mc, S_DEPTH_LIMIT);
    pcre2_set_heap_limit(self->mc, S_HEAP_KIB);
    pcre2_jit_stack_assign(self->mc, NULL, self->jit_stack);
    return 0;
}

pb_proc_select_t *pb_proc_select_new(void)
{
    pb_proc_select_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->gen = 1;
    if (s_contexts(self) < 0)
        pb_proc_select_destroy(&self);
    return self;
}

void pb_proc_select_destroy(pb_proc_select_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_proc_select_t *self = *self_p;
    for (size_t i = 0; i < self->nmatches; i++) {
        pcre2_code_free(self->matches[i].code);
        free(self->matches[i].pattern);
    }
    pcre2_match_data_free(self->md);
    pcre2_jit_stack_free(self->jit_stack);
    pcre2_match_context_free(self->mc);
    pcre2_compile_context_free(self->cc);
    pcre2_general_context_free(self->gc);
    free(self->pids);
    free(self);
    *self_p = NULL;
}

/* Index of the first pid >= pid. */
static size_t s_pid_pos(const pb_proc_select_t *self, uint32_t pid)
{
    size_t lo = 0, hi = self->npids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->pids[mid] < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool s_has_pid(const pb_proc_select_t *self, uint32_t pid)
{
    size_t i = s_pid_pos(self, pid);
    return i < self->npids && self->pids[i] == pid;
}

int pb_proc_select_add_pid(pb_proc_select_t *self, uint32_t pid)
{
    size_t i = s_pid_pos(self, pid);
    if (i < self->npids && self->pids[i] == pid)
        return 0;
    if (pb_grow((void **)&self->pids, &self->pids_cap, self->npids, sizeof *self->pids, 8) < 0)
        return -ENOMEM;
    memmove(&self->pids[i + 1], &self->pids[i], (self->npids - i) * sizeof *self->pids);
    self->pids[i] = pid;
    self->npids++;
    return 0;
}

int pb_proc_select_remove_pid(pb_proc_select_t *self, uint32_t pid)
{
    size_t i = s_pid_pos(self, pid);
    if (i == self->npids || self->pids[i] != pid)
        return -ENOENT;
    memmove(&self->pids[i], &self->pids[i + 1], (self->npids - i - 1) * sizeof *self->pids);
    self->npids--;
    return 0;
}

static s_match_t *s_find_match(pb_proc_select_t *self, const char *pattern)
{
    for (size_t i = 0; i < self->nmatches; i++) {
        if (strcmp(self->matches[i].pattern, pattern) == 0)
            return &self->matches[i];
    }
    return NULL;
}

static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The caps, checked before any work is done on the pattern. */
static int s_check_caps(const pb_proc_select_t *self, const char *pattern, char *err, size_t errlen)
{
    size_t len = strlen(pattern);
    if (self->nmatches == PB_PROC_SELECT_MAX_MATCHES) {
        s_err(err, errlen, "already %d patterns, the most there may be; unwatch one first",
              PB_PROC_SELECT_MAX_MATCHES);
        return -ENOSPC;
    }
    if (len > PB_PROC_SELECT_MAX_PATTERN) {
        s_err(err, errlen, "pattern is %zu bytes; at most %d", len, PB_PROC_SELECT_MAX_PATTERN);
        return -E2BIG;
    }
    if (len == 0) {
        s_err(err, errlen, "empty pattern");
        return -EINVAL;
    }
    return 0;
}

/* Compiles pattern within the bounds; JIT where the platform has it. */
static int s_compile(pb_proc_select_t *self, const char *pattern, pcre2_code **code_p, char *err,
                     size_t errlen)
{
    int code_err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, S_OPTIONS,
                                     &code_err, &offset, self->cc);
    if (!code) {
        PCRE2_UCHAR why[160] = "";
        pcre2_get_error_message(code_err, why, sizeof why);
        s_err(err, errlen, "%s at offset %zu", (const char *)why, (size_t)offset);
        return code_err == PCRE2_ERROR_HEAP_FAILED || code_err == PCRE2_ERROR_PATTERN_TOO_LARGE
                   ? -E2BIG
                   : -EINVAL;
    }
    size_t size = 0;
    pcre2_pattern_info(code, PCRE2_INFO_SIZE, &size);
    if (size > PB_PROC_SELECT_MAX_COMPILED) {
        pcre2_code_free(code);
        s_err(err, errlen, "pattern compiles to %zu bytes; at most %d", size,
              PB_PROC_SELECT_MAX_COMPILED);
        return -E2BIG;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without JIT the interpreter's limits hold */
    *code_p = code;
    return 0;
}

int pb_proc_select_add_match(pb_proc_select_t *self, const char *pattern, char *err, size_t errlen)
{
    if (s_find_match(self, pattern))
        return 0;
    int rc = s_check_caps(self, pattern, err, errlen);
    pcre2_code *code = NULL;
    if (rc == 0)
        rc = s_compile(self, pattern, &code, err, errlen);
    if (rc < 0)
        return rc;
    s_match_t *m = &self->matches[self->nmatches];
    *m = (s_match_t){.pattern = strdup(pattern), .code = code};
    if (!m->pattern) {
        pcre2_code_free(code);
        s_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    self->nmatches++;
    self->gen++;
    return 0;
}

int pb_proc_select_remove_match(pb_proc_select_t *self, const char *pattern)
{
    s_match_t *m = s_find_match(self, pattern);
    if (!m)
        return -ENOENT;
    pcre2_code_free(m->code);
    free(m->pattern);
    size_t i = (size_t)(m - self->matches);
    memmove(m, m + 1, (self->nmatches - i - 1) * sizeof *m);
    self->nmatches--;
    self->gen++;
    return 0;
}

void pb_proc_select_set_top(pb_proc_select_t *self, unsigned n)
{
    self->top = n;
}

unsigned pb_proc_select_top(const pb_proc_select_t *self)
{
    return self->top;
}

void pb_proc_select_set_all(pb_proc_select_t *self, bool all)
{
    self->all = all;
}

size_t pb_proc_select_npids(const pb_proc_select_t *self)
{
    return self->npids;
}

const uint32_t *pb_proc_select_pids(const pb_proc_select_t *self)
{
    return self->pids;
}

bool pb_proc_select_needs_listing(const pb_proc_select_t *self)
{
    return self->all || self->top > 0 || self->nmatches > 0;
}

/* Copies text for a log line with control bytes shown as '?' (a comm or a
 * pattern from the network must not drive the terminal). */
static void s_printable(char *out, size_t size, const char *text)
{
    size_t i = 0;
    for (; text[i] && i + 1 < size; i++)
        out[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
    out[i] = '\0';
}

/* Logs the 1st, 10th, 100th ... limit hit of a pattern: visible, never a flood. */
static void s_log_limit(const s_match_t *m, const char *comm, int rc)
{
    uint64_t n = m->limit_hits;
    while (n % 10 == 0 && n >= 10)
        n /= 10;
    if (n != 1)
        return;
    char pattern[PB_PROC_SELECT_MAX_PATTERN + 1], name[PB_PROC_SELECT_COMM_MAX];
    PCRE2_UCHAR why[120] = "";
    s_printable(pattern, sizeof pattern, m->pattern);
    s_printable(name, sizeof name, comm);
    pcre2_get_error_message(rc, why, sizeof why);
    pb_log_warn("pattern '%s' stopped on comm '%s' (%s); counted as no match (%llu so far)",
                pattern, name, (const char *)why, (unsigned long long)m->limit_hits);
}

/* One bounded match: a limit reached (or any other failure) is no match. */
static bool s_match_one(pb_proc_select_t *self, s_match_t *m, const char *comm, size_t len)
{
    int rc = pcre2_match(m->code, (PCRE2_SPTR)comm, len, 0, 0, self->md, self->mc);
    self->stats.matches_run++;
    if (rc >= 0)
        return true;
    if (rc != PCRE2_ERROR_NOMATCH) {
        m->limit_hits++;
        self->stats.limit_hits++;
        s_log_limit(m, comm, rc);
    }
    return false;
}

static bool s_match_all(pb_proc_select_t *self, const char *comm)
{
    size_t len = strlen(comm);
    for (size_t i = 0; i < self->nmatches; i++) {
        if (s_match_one(self, &self->matches[i], comm, len))
            return true;
    }
    return false;
}

static bool s_memo_holds(const pb_proc_select_t *self, const pb_proc_select_memo_t *memo,
                         uint64_t starttime, const char *comm)
{
    return memo->gen == self->gen && memo->starttime == starttime &&
           strncmp(memo->comm, comm, sizeof memo->comm) == 0;
}

bool pb_proc_select_wants(pb_proc_select_t *self, uint32_t pid, uint64_t starttime,
                          const char *comm, pb_proc_select_memo_t *memo)
{
    if (self->all || s_has_pid(self, pid))
        return true;
    if (self->nmatches == 0)
        return false;
    if (memo && s_memo_holds(self, memo, starttime, comm))
        return memo->wanted;
    bool wanted = s_match_all(self, comm);
    /* a comm too long to keep whole is matched every time rather than misremembered */
    if (memo && strlen(comm) < sizeof memo->comm) {
        memo->gen = self->gen;
        memo->starttime = starttime;
        snprintf(memo->comm, sizeof memo->comm, "%s", comm);
        memo->wanted = wanted;
    }
    return wanted;
}

void pb_proc_select_stats(const pb_proc_select_t *self, pb_proc_select_stats_t *out)
{
    *out = self->stats;
}

static int s_describe_lists(const pb_proc_select_t *self, pb_value_t *pids, pb_value_t *matches)
{
    for (size_t i = 0; i < self->npids; i++) {
        pb_value_t *v = pb_value_uint_new(self->pids[i]);
        if (!v || pb_value_array_push(pids, &v) < 0)
            return -ENOMEM;
    }
    for (size_t i = 0; i < self->nmatches; i++) {
        pb_value_t *v = pb_value_str_new(self->matches[i].pattern);
        if (!v || pb_value_array_push(matches, &v) < 0)
            return -ENOMEM;
    }
    return 0;
}

pb_value_t *pb_proc_select_describe(const pb_proc_select_t *self)
{
    pb_value_t *map = pb_value_map_new();
    pb_value_t *pids = pb_value_array_new();
    pb_value_t *matches = pb_value_array_new();
    int rc = (map && pids && matches) ? s_describe_lists(self, pids, matches) : -ENOMEM;
    if (rc == 0)
        rc = pb_value_map_put(map, "pids", &pids);
    if (rc == 0)
        rc = pb_value_map_put(map, "matches", &matches);
    if (rc == 0)
        rc = pb_value_map_put_uint(map, "top", self->top);
    if (rc == 0)
        rc = pb_value_map_put_bool(map, "all", self->all);
    pb_value_destroy(&pids);
    pb_value_destroy(&matches);
    if (rc < 0)
        pb_value_destroy(&map);
    return map;
}
