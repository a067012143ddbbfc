/* pb_proc_select: which processes get proc frames — watched pids, comm regexes, top N, all. */
#include "pb_proc_select.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *pattern;
    regex_t re;
} s_match_t;

struct pb_proc_select {
    uint32_t *pids; /* ascending */
    size_t npids, pids_cap;
    s_match_t *matches;
    size_t nmatches, matches_cap;
    unsigned top;
    bool all;
};

pb_proc_select_t *pb_proc_select_new(void)
{
    return calloc(1, sizeof(pb_proc_select_t));
}

void pb_proc_select_destroy(pb_proc_select_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_proc_select_t *self = *self_p;
    for (size_t i = 0; i < self->nmatches; i++) {
        regfree(&self->matches[i].re);
        free(self->matches[i].pattern);
    }
    free(self->matches);
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
    if (self->npids == self->pids_cap) {
        size_t cap = self->pids_cap ? self->pids_cap * 2 : 8;
        uint32_t *pids = realloc(self->pids, cap * sizeof *pids);
        if (!pids)
            return -ENOMEM;
        self->pids = pids;
        self->pids_cap = cap;
    }
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

static s_match_t *s_find_match(const pb_proc_select_t *self, const char *regex)
{
    for (size_t i = 0; i < self->nmatches; i++) {
        if (strcmp(self->matches[i].pattern, regex) == 0)
            return &self->matches[i];
    }
    return NULL;
}

static int s_grow_matches(pb_proc_select_t *self)
{
    if (self->nmatches < self->matches_cap)
        return 0;
    size_t cap = self->matches_cap ? self->matches_cap * 2 : 4;
    s_match_t *m = realloc(self->matches, cap * sizeof *m);
    if (!m)
        return -ENOMEM;
    self->matches = m;
    self->matches_cap = cap;
    return 0;
}

int pb_proc_select_add_match(pb_proc_select_t *self, const char *regex, char *err, size_t errlen)
{
    if (s_find_match(self, regex))
        return 0;
    if (s_grow_matches(self) < 0)
        return -ENOMEM;
    s_match_t *m = &self->matches[self->nmatches];
    int rc = regcomp(&m->re, regex, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        if (err && errlen > 0)
            regerror(rc, &m->re, err, errlen);
        return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
    }
    m->pattern = strdup(regex);
    if (!m->pattern) {
        regfree(&m->re);
        return -ENOMEM;
    }
    self->nmatches++;
    return 0;
}

int pb_proc_select_remove_match(pb_proc_select_t *self, const char *regex)
{
    s_match_t *m = s_find_match(self, regex);
    if (!m)
        return -ENOENT;
    regfree(&m->re);
    free(m->pattern);
    size_t i = (size_t)(m - self->matches);
    memmove(m, m + 1, (self->nmatches - i - 1) * sizeof *m);
    self->nmatches--;
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

bool pb_proc_select_wants(const pb_proc_select_t *self, uint32_t pid, const char *comm)
{
    if (self->all || s_has_pid(self, pid))
        return true;
    for (size_t i = 0; i < self->nmatches; i++) {
        if (regexec(&self->matches[i].re, comm, 0, NULL, 0) == 0)
            return true;
    }
    return false;
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
