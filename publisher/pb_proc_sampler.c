/* pb_proc_sampler: per-process frames for the selected processes — by pid, comm match, top N, or
 * all. */
#include "pb_proc_sampler.h"

#include "pb_log.h"
#include "pb_proc_read.h"
#include "pb_proc_select.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_NCPU_EVERY_NS 1000000000ull

/* Per-process state, one per pid of the candidates, kept in an array sorted
 * by pid. Each cycle every candidate's stat is read once (the light read that
 * ranks top N and matches comm); only selected processes get the full read
 * (status, io, fds, cmdline), whose previous values give their rates. A pid
 * whose starttime changed is a new process: its series starts over. */
typedef struct {
    uint32_t pid;
    uint64_t starttime;
    char comm[PB_PROC_COMM_MAX];
    uint32_t cand_gen; /* cycle in which pid was a candidate */
    uint32_t seen_gen; /* cycle in which stat was read */
    uint32_t top_gen;  /* cycle in which it ranked in the top N */
    bool exited;
    pb_proc_stat_t stat; /* this cycle's */
    bool has_light;      /* light_* hold the previous cycle's CPU ticks */
    uint64_t light_ticks, light_ns;
    bool has_cpu; /* cpu_pct holds the CPU % of the last interval */
    double cpu_pct;
    bool has_full; /* full holds the last full read, at full_ns */
    pb_proc_reading_t full;
    uint64_t full_ns;
    bool has_rates; /* rates of the last emitted body */
    pb_proc_rates_t rates;
    bool cpu_clamped; /* rates' CPU was cut to what threads and CPUs allow */
    double interval_s;
    pb_proc_files_t files; /* kept open across cycles (real procfs only) */
    char *cmdline;         /* cached while pid, starttime and comm stay the same */
    char cmdline_comm[PB_PROC_COMM_MAX];
    pb_proc_select_memo_t memo; /* the patterns' verdict on this comm */
    bool emitted;               /* in the last cycle in which it was seen */
} s_entry_t;

struct pb_proc_sampler {
    char *root;
    pb_proc_select_t *select;
    s_entry_t **entries; /* sorted by pid */
    size_t n, cap;
    s_entry_t **spare; /* the other buffer of the merge */
    size_t spare_cap;
    uint32_t *cand; /* candidate pids of this cycle */
    size_t ncand, cand_cap;
    pb_procfs_pidlist_t *shared; /* the sys sampler's listing, borrowed; NULL = list alone */
    s_entry_t **rank;            /* top N ranking buffer */
    size_t rank_cap;
    pb_procfs_buf_t buf;
    pb_proc_dir_t dir; /* <root>/proc during a scan */
    size_t max_kept;   /* files the entries may keep open, from RLIMIT_NOFILE */
    uint32_t gen;
    uint64_t mono_ns;
    uint64_t mem_total;
    bool mem_read;
    unsigned ncpu; /* online CPUs, for the CPU clamp; 0 until read */
    uint64_t ncpu_ns;
    size_t tracked;
    int first_err;
    pb_proc_write_fn emit; /* this scan's */
    void *emit_arg;
};

/* Half of the fds this process may open, less a reserve for everything else. */
static size_t s_max_kept(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    size_t n = rl.rlim_cur > 256 ? (size_t)(rl.rlim_cur - 128) / 2 : 0;
    return n < 65536 ? n : 65536;
}

pb_proc_sampler_t *pb_proc_sampler_new(const char *root)
{
    char err[160];
    if (pb_proc_body_keys(err, sizeof err) < 0) {
        pb_log_error("proc sampler: %s", err);
        return NULL;
    }
    pb_proc_sampler_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->root = strdup(root ? root : "");
    self->select = pb_proc_select_new();
    self->dir.fd = -1;
    self->max_kept = s_max_kept();
    if (!self->root || !self->select)
        pb_proc_sampler_destroy(&self);
    return self;
}

static void s_entry_free(s_entry_t **e_p)
{
    if (!*e_p)
        return;
    pb_proc_read_files_close(&(*e_p)->files);
    free((*e_p)->cmdline);
    free(*e_p);
    *e_p = NULL;
}

void pb_proc_sampler_destroy(pb_proc_sampler_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_proc_sampler_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_entry_free(&self->entries[i]);
    free(self->entries);
    free(self->spare);
    free(self->cand);
    free(self->rank);
    pb_procfs_buf_release(&self->buf);
    pb_proc_select_destroy(&self->select);
    free(self->root);
    free(self);
    *self_p = NULL;
}

int pb_proc_sampler_watch_pid(pb_proc_sampler_t *self, uint32_t pid)
{
    char rel[32];
    char path[PATH_MAX];
    struct stat sb;
    snprintf(rel, sizeof rel, "proc/%u", pid);
    int rc = pb_procfs_path(path, sizeof path, self->root, rel);
    if (rc < 0)
        return rc;
    if (pid == 0 || stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return -ESRCH;
    return pb_proc_select_add_pid(self->select, pid);
}

int pb_proc_sampler_unwatch_pid(pb_proc_sampler_t *self, uint32_t pid)
{
    return pb_proc_select_remove_pid(self->select, pid);
}

int pb_proc_sampler_watch_match(pb_proc_sampler_t *self, const char *regex, char *err,
                                size_t errlen)
{
    return pb_proc_select_add_match(self->select, regex, err, errlen);
}

int pb_proc_sampler_unwatch_match(pb_proc_sampler_t *self, const char *regex)
{
    return pb_proc_select_remove_match(self->select, regex);
}

void pb_proc_sampler_set_top(pb_proc_sampler_t *self, unsigned n)
{
    pb_proc_select_set_top(self->select, n);
}

void pb_proc_sampler_set_all(pb_proc_sampler_t *self, bool all)
{
    pb_proc_select_set_all(self->select, all);
}

pb_value_t *pb_proc_sampler_watching(const pb_proc_sampler_t *self)
{
    return pb_proc_select_describe(self->select);
}

size_t pb_proc_sampler_tracked(const pb_proc_sampler_t *self)
{
    return self->tracked;
}

/* Grows an array of n-byte items to hold at least want items. */
static int s_reserve(void **items_p, size_t *cap_p, size_t want, size_t size)
{
    if (want <= *cap_p)
        return 0;
    size_t cap = *cap_p ? *cap_p : 64;
    while (cap < want)
        cap *= 2;
    void *items = realloc(*items_p, cap * size);
    if (!items)
        return -ENOMEM;
    *items_p = items;
    *cap_p = cap;
    return 0;
}

void pb_proc_sampler_share_pidlist(pb_proc_sampler_t *self, pb_procfs_pidlist_t *pids)
{
    self->shared = pids;
}

/* Copies n pids into the candidates. */
static int s_set_candidates(pb_proc_sampler_t *self, const uint32_t *pids, size_t n)
{
    if (s_reserve((void **)&self->cand, &self->cand_cap, n, sizeof *self->cand) < 0)
        return -ENOMEM;
    if (n > 0)
        memcpy(self->cand, pids, n * sizeof *self->cand);
    self->ncand = n;
    return 0;
}

/* The candidates: every pid when a listing is needed (this cycle's shared
 * listing when there is one), else the watched pids. */
static int s_candidates(pb_proc_sampler_t *self)
{
    if (!pb_proc_select_needs_listing(self->select))
        return s_set_candidates(self, pb_proc_select_pids(self->select),
                                pb_proc_select_npids(self->select));
    if (self->shared) {
        const uint32_t *pids;
        size_t n;
        int rc = pb_procfs_pidlist_pids_at(self->shared, self->mono_ns, &pids, &n);
        return rc < 0 ? rc : s_set_candidates(self, pids, n);
    }
    int n = pb_procfs_pids(self->root, &self->cand, &self->cand_cap);
    if (n < 0)
        return n;
    self->ncand = (size_t)n;
    return 0;
}

static s_entry_t *s_entry_new(void)
{
    s_entry_t *e = calloc(1, sizeof *e);
    if (e)
        e->files = (pb_proc_files_t)PB_PROC_FILES_NONE;
    return e;
}

/* Frees the entries a failed merge created (never seen, unlike every old one). */
static void s_merge_undo(s_entry_t **spare, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        if (spare[i]->seen_gen == 0)
            s_entry_free(&spare[i]);
    }
}

/* Merges the candidates into the entries (both sorted by pid): new pids get
 * a fresh entry, old entries stay until the sweep. */
static int s_merge(pb_proc_sampler_t *self)
{
    size_t want = self->n + self->ncand;
    if (s_reserve((void **)&self->spare, &self->spare_cap, want, sizeof *self->spare) < 0)
        return -ENOMEM;
    size_t i = 0, j = 0, k = 0;
    while (i < self->n || j < self->ncand) {
        if (j == self->ncand || (i < self->n && self->entries[i]->pid < self->cand[j])) {
            self->spare[k++] = self->entries[i++];
            continue;
        }
        s_entry_t *e = (i < self->n && self->entries[i]->pid == self->cand[j]) ? self->entries[i++]
                                                                               : s_entry_new();
        if (!e) {
            s_merge_undo(self->spare, k);
            return -ENOMEM;
        }
        e->pid = self->cand[j++];
        e->cand_gen = self->gen;
        self->spare[k++] = e;
    }
    s_entry_t **tmp = self->entries;
    self->entries = self->spare;
    self->spare = tmp;
    size_t cap = self->cap;
    self->cap = self->spare_cap;
    self->spare_cap = cap;
    self->n = k;
    return 0;
}

/* Emits body and remembers the first error. */
static void s_emit(pb_proc_sampler_t *self, uint32_t pid, const pb_proc_body_t *body)
{
    int rc = self->emit(self->emit_arg, pid, body);
    if (rc < 0 && self->first_err == 0)
        self->first_err = rc;
}

static void s_emit_gone(pb_proc_sampler_t *self, const s_entry_t *e)
{
    pb_proc_body_t body = {.pid = e->pid, .comm = e->comm};
    s_emit(self, e->pid, &body);
}

/* Forgets everything about the process that held e->pid before. The kept
 * files already belong to the new process: the old ones read -ESRCH. */
static void s_entry_restart(s_entry_t *e)
{
    uint32_t pid = e->pid, cand_gen = e->cand_gen;
    pb_proc_files_t files = e->files;
    free(e->cmdline);
    memset(e, 0, sizeof *e);
    e->pid = pid;
    e->cand_gen = cand_gen;
    e->files = files;
}

/* The cpuN lines of <root>/proc/stat (the sys frame's ncpu), read again once
 * a second for hot-plugging; sysconf's count when the file is unreadable. */
static void s_read_ncpu(pb_proc_sampler_t *self)
{
    if (self->ncpu > 0 && self->mono_ns - self->ncpu_ns < S_NCPU_EVERY_NS)
        return;
    unsigned n = 0;
    if (pb_procfs_slurp_at(self->dir.fd, "stat", &self->buf) == 0) {
        for (const char *line = self->buf.data; line; line = pb_procfs_next_line(line))
            n += strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9';
    }
    if (n == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (unsigned)online : 1;
    }
    self->ncpu = n;
    self->ncpu_ns = self->mono_ns;
}

/* The most CPU % (of one core) a process can use: 100 per thread, at most
 * 100 per CPU. A zombie that shows 0 threads still had one in the interval. */
static double s_cpu_cap(const pb_proc_sampler_t *self, uint64_t threads)
{
    uint64_t n = threads > 0 ? threads : 1;
    return 100.0 * (double)(n < self->ncpu ? n : self->ncpu);
}

/* The CPU % of the interval since the previous light read (pidstat). */
static void s_light(pb_proc_sampler_t *self, s_entry_t *e)
{
    uint64_t ticks = pb_proc_body_user_ticks(&e->stat) + e->stat.stime;
    e->has_cpu = e->has_light && ticks >= e->light_ticks && self->mono_ns > e->light_ns;
    if (e->has_cpu) {
        double secs = (double)(self->mono_ns - e->light_ns) / 1e9;
        double pct = (double)(ticks - e->light_ticks) / (double)sysconf(_SC_CLK_TCK) / secs * 100;
        e->cpu_pct = fmin(pct, s_cpu_cap(self, e->stat.threads)); /* ranks as published */
    }
    e->has_light = true;
    e->light_ticks = ticks;
    e->light_ns = self->mono_ns;
}

/* Reads the stat of one candidate; a new starttime means a new process. */
static void s_read_candidate(pb_proc_sampler_t *self, s_entry_t *e)
{
    pb_proc_stat_t st;
    int rc = pb_proc_read_stat(&self->dir, e->pid, &e->files, &self->buf, &st);
    e->exited = PB_PROC_VANISHED(rc);
    if (rc < 0)
        return; /* gone, or unreadable this cycle: skipped quietly */
    if (e->seen_gen != 0 && st.starttime != e->starttime) {
        /* the pid was reused: the old process exited, a watch of it ends */
        if (e->emitted)
            s_emit_gone(self, e);
        pb_proc_select_remove_pid(self->select, e->pid);
        s_entry_restart(e);
    }
    e->stat = st;
    e->starttime = st.starttime;
    memcpy(e->comm, st.comm, sizeof e->comm);
    e->seen_gen = self->gen;
    s_light(self, e);
}

static void s_read_candidates(pb_proc_sampler_t *self)
{
    bool listing = pb_proc_select_needs_listing(self->select);
    for (size_t i = 0; i < self->n; i++) {
        s_entry_t *e = self->entries[i];
        if (e->cand_gen == self->gen)
            s_read_candidate(self, e);
        else
            e->exited = listing; /* absent from the listing: it has exited */
    }
}

/* Higher CPU % first, then lower pid. */
static int s_rank_cmp(const void *a, const void *b)
{
    const s_entry_t *x = *(const s_entry_t *const *)a;
    const s_entry_t *y = *(const s_entry_t *const *)b;
    if (x->cpu_pct != y->cpu_pct)
        return x->cpu_pct < y->cpu_pct ? 1 : -1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Marks the top N processes by CPU % of the last interval. */
static int s_rank_top(pb_proc_sampler_t *self)
{
    unsigned top = pb_proc_select_top(self->select);
    if (top == 0)
        return 0;
    if (s_reserve((void **)&self->rank, &self->rank_cap, self->n, sizeof *self->rank) < 0)
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < self->n; i++) {
        s_entry_t *e = self->entries[i];
        if (e->seen_gen == self->gen && e->has_cpu)
            self->rank[m++] = e;
    }
    if (m > 1)
        qsort(self->rank, m, sizeof *self->rank, s_rank_cmp);
    for (size_t i = 0; i < m && i < top; i++)
        self->rank[i]->top_gen = self->gen;
    return 0;
}

static bool s_selected(const pb_proc_sampler_t *self, s_entry_t *e)
{
    return e->top_gen == self->gen ||
           pb_proc_select_wants(self->select, e->pid, e->starttime, e->comm, &e->memo);
}

static void s_read_mem_total(pb_proc_sampler_t *self)
{
    uint64_t total;
    if (self->mem_read)
        return;
    self->mem_read = true;
    if (pb_proc_read_mem_total(&self->dir, &self->buf, &total) == 0)
        self->mem_total = total; /* else keep the last known value */
}

/* status, io, fds; the cmdline only when not cached for this process and comm. */
static int s_full_read(pb_proc_sampler_t *self, s_entry_t *e, pb_proc_reading_t *cur)
{
    cur->stat = e->stat;
    const pb_proc_reading_t *prev = e->has_full ? &e->full : NULL;
    int rc = pb_proc_read_rest(&self->dir, e->pid, &e->files, prev, &self->buf, cur);
    if (rc < 0 || (e->cmdline && strcmp(e->cmdline_comm, e->comm) == 0))
        return rc;
    char *cmdline = NULL;
    rc = pb_proc_read_cmdline(&self->dir, e->pid, &self->buf, &cmdline);
    if (rc < 0)
        return rc;
    free(e->cmdline);
    e->cmdline = cmdline;
    memcpy(e->cmdline_comm, e->comm, sizeof e->cmdline_comm);
    return 0;
}

static pb_proc_body_args_t s_body_args(const pb_proc_sampler_t *self, const s_entry_t *e)
{
    return (pb_proc_body_args_t){
        .reading = &e->full,
        .cmdline = e->cmdline,
        .rates = e->has_rates ? &e->rates : NULL,
        .interval_s = e->interval_s,
        .mem_total = self->mem_total,
        .cpu_clamped = e->has_rates && e->cpu_clamped,
    };
}

/* Full read of a selected process, rates against its previous full read, emit. */
static void s_sample_entry(pb_proc_sampler_t *self, s_entry_t *e)
{
    pb_proc_reading_t cur = {0};
    int rc = s_full_read(self, e, &cur);
    if (rc < 0) {
        e->exited = PB_PROC_VANISHED(rc);
        if (e->exited)
            e->seen_gen = 0; /* swept below, with its gone frame if it was emitted */
        else
            e->emitted = false;
        return;
    }
    double interval = e->has_full ? (double)(self->mono_ns - e->full_ns) / 1e9 : 0.0;
    e->has_rates = e->has_full && pb_proc_body_rates(&e->full, &cur, interval, &e->rates);
    e->interval_s = e->has_rates ? interval : 0.0;
    e->cpu_clamped =
        e->has_rates && pb_proc_body_clamp_cpu(&e->rates, s_cpu_cap(self, cur.stat.threads));
    e->full = cur;
    e->full_ns = self->mono_ns;
    e->has_full = true;
    e->emitted = true;
    self->tracked++;
    pb_proc_body_args_t args = s_body_args(self, e);
    pb_proc_body_t body = {.args = &args};
    s_emit(self, e->pid, &body);
}

/* An unselected process needs only its stat: its other files go back. */
static void s_close_rest(s_entry_t *e)
{
    int stat = e->files.stat;
    e->files.stat = -1;
    pb_proc_read_files_close(&e->files);
    e->files.stat = stat;
}

static void s_sample_selected(pb_proc_sampler_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        s_entry_t *e = self->entries[i];
        if (e->seen_gen != self->gen)
            continue;
        if (!s_selected(self, e)) {
            e->emitted = false;
            s_close_rest(e);
            continue;
        }
        s_read_mem_total(self);
        s_sample_entry(self, e);
    }
}

/* Drops the entries not seen this cycle; an exited process that was being
 * emitted gets its gone frame, and an exited watched pid leaves the list. */
static void s_sweep(pb_proc_sampler_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n; i++) {
        s_entry_t *e = self->entries[i];
        if (e->seen_gen == self->gen) {
            self->entries[kept++] = e;
            continue;
        }
        if (e->exited && e->emitted)
            s_emit_gone(self, e);
        if (e->exited)
            pb_proc_select_remove_pid(self->select, e->pid);
        s_entry_free(&e);
    }
    self->n = kept;
}

/* How many more files the entries may keep open this cycle. */
static void s_keep_room(pb_proc_sampler_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n; i++)
        kept += pb_proc_read_files_open(&self->entries[i]->files);
    self->dir.keep_room = self->max_kept > kept ? self->max_kept - kept : 0;
}

/* Nothing watched and nothing left from earlier watches: the scan has no
 * work, not even opening <root>/proc. */
static bool s_idle(const pb_proc_sampler_t *self)
{
    return self->n == 0 && pb_proc_select_npids(self->select) == 0 &&
           !pb_proc_select_needs_listing(self->select);
}

int pb_proc_sampler_scan_write(pb_proc_sampler_t *self, uint64_t mono_ns, pb_proc_write_fn emit,
                               void *arg)
{
    self->emit = emit;
    self->emit_arg = arg;
    self->gen++;
    self->mono_ns = mono_ns;
    self->mem_read = false;
    self->tracked = 0;
    self->first_err = 0;
    if (s_idle(self))
        return 0;
    int rc = pb_proc_read_open(self->root, &self->dir);
    if (rc == 0) {
        s_keep_room(self);
        s_read_ncpu(self);
    }
    if (rc == 0)
        rc = s_candidates(self);
    if (rc == 0)
        rc = s_merge(self);
    if (rc < 0) {
        pb_proc_read_close(&self->dir);
        return rc;
    }
    s_read_candidates(self);
    rc = s_rank_top(self);
    s_sample_selected(self);
    s_sweep(self);
    pb_proc_read_close(&self->dir);
    return rc < 0 ? rc : self->first_err;
}

/* pb_proc_sampler_scan's emit, called with each body decoded into a tree. */
typedef struct {
    pb_proc_emit_fn emit;
    void *arg;
} s_tree_emit_t;

static int s_emit_tree(void *arg, uint32_t pid, const pb_proc_body_t *body)
{
    s_tree_emit_t *t = arg;
    pb_value_t *tree = pb_proc_body_tree(body);
    int rc = tree ? t->emit(t->arg, pid, &tree) : -ENOMEM;
    pb_value_destroy(&tree);
    return rc;
}

int pb_proc_sampler_scan(pb_proc_sampler_t *self, uint64_t mono_ns, pb_proc_emit_fn emit, void *arg)
{
    s_tree_emit_t t = {emit, arg};
    return pb_proc_sampler_scan_write(self, mono_ns, s_emit_tree, &t);
}

static int s_entry_cmp(const void *key, const void *item)
{
    uint32_t pid = *(const uint32_t *)key;
    const s_entry_t *e = *(const s_entry_t *const *)item;
    return (pid > e->pid) - (pid < e->pid);
}

pb_value_t *pb_proc_sampler_latest(const pb_proc_sampler_t *self, uint32_t pid)
{
    if (self->n == 0)
        return NULL;
    s_entry_t **found = bsearch(&pid, self->entries, self->n, sizeof *self->entries, s_entry_cmp);
    if (!found || (*found)->seen_gen != self->gen || !(*found)->emitted)
        return NULL;
    pb_proc_body_args_t args = s_body_args(self, *found);
    pb_proc_body_t body = {.args = &args};
    return pb_proc_body_tree(&body);
}
