/* pb_store: the store of runs — listing with sizes on disk and before compression, retention. */
#include "pb_grow.h"
#include "pb_run.h"
#include "pb_sealed.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int s_join(char *buf, size_t size, const char *a, const char *b)
{
    int n = snprintf(buf, size, "%s/%s", a, b);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bytes of the files directly in dir, on disk and (*raw, unless NULL) before
 * compression; sets *is_run when it holds run.meta or segments. */
static uint64_t s_dir_bytes(const char *dir, int *is_run, uint64_t *raw)
{
    uint64_t unused = 0;
    DIR *d = opendir(dir);
    uint64_t total = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        pb_sealed_info_t info;
        if (s_join(path, sizeof path, dir, e->d_name) < 0 || lstat(path, &st) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        total += (uint64_t)st.st_size;
        int segment = pb_run_is_segment_name(e->d_name);
        if (raw && segment && pb_sealed_info(path, &info) == 0)
            *raw += info.raw_bytes;
        else
            *(raw ? raw : &unused) += (uint64_t)st.st_size;
        if (strcmp(e->d_name, PB_RUN_META_FILE) == 0 || segment)
            *is_run = 1;
    }
    if (d)
        closedir(d);
    return total;
}

static void s_copy_key(pb_value_t *to, const pb_value_t *from, const char *key)
{
    pb_value_t *v = pb_value_map_get(from, key);
    pb_value_t *copy = v ? pb_value_dup(v) : pb_value_nil_new();
    pb_value_map_put(to, key, &copy);
}

static pb_value_t *s_run_entry(const char *store, const char *name, int with_raw)
{
    char dir[PATH_MAX], err[256] = "";
    int is_run = 0;
    uint64_t raw = 0;
    if (s_join(dir, sizeof dir, store, name) < 0)
        return NULL;
    uint64_t bytes = s_dir_bytes(dir, &is_run, with_raw ? &raw : NULL);
    if (!is_run)
        return NULL;
    pb_run_t *run = pb_run_new(dir);
    const pb_value_t *meta = run ? pb_run_meta(run) : NULL;
    const char *problem = NULL;
    if (!run)
        snprintf(err, sizeof err, "cannot open: %s", strerror(errno));
    else if (pb_value_map_get_str(meta, "$problem", &problem) == 0)
        snprintf(err, sizeof err, "%s", problem);
    pb_value_t *entry = pb_value_map_new();
    pb_value_map_put_str(entry, "run_id", name);
    pb_value_map_put_str(entry, "path", dir);
    static const char *keys[] = {"start_ns", "end_ns",   "complete", "hosts",
                                 "records",  "segments", NULL};
    for (int i = 0; keys[i]; i++)
        s_copy_key(entry, meta, keys[i]);
    pb_value_map_put_uint(entry, "bytes", bytes);
    if (with_raw)
        pb_value_map_put_uint(entry, "raw_bytes", raw);
    s_copy_key(entry, meta, "format");
    if (*err)
        pb_value_map_put_str(entry, "problem", err);
    pb_run_destroy(&run);
    return entry;
}

static int s_dir_filter(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static int s_list(const char *store, int with_raw, pb_value_t **out_p)
{
    pb_value_t *list = pb_value_array_new();
    if (!list)
        return -ENOMEM;
    struct dirent **names = NULL;
    int n = scandir(store, &names, s_dir_filter, alphasort);
    if (n < 0 && errno != ENOENT) {
        int rc = -errno;
        pb_value_destroy(&list);
        return rc;
    }
    for (int i = 0; i < n; i++) {
        pb_value_t *entry = s_run_entry(store, names[i]->d_name, with_raw);
        if (entry)
            pb_value_array_push(list, &entry);
        free(names[i]);
    }
    free(names);
    *out_p = list;
    return 0;
}

int pb_run_list(const char *store, pb_value_t **out_p)
{
    return s_list(store, 1, out_p);
}

int pb_run_list_quick(const char *store, pb_value_t **out_p)
{
    return s_list(store, 0, out_p);
}

static int s_remove_run(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        if ((strcmp(e->d_name, PB_RUN_META_FILE) == 0 ||
             strcmp(e->d_name, PB_RUN_META_FILE ".tmp") == 0 || pb_run_is_segment_name(e->d_name) ||
             pb_run_is_rollup_name(e->d_name) || pb_run_is_seal_tmp(e->d_name)) &&
            s_join(path, sizeof path, dir, e->d_name) == 0)
            unlink(path);
    }
    closedir(d);
    return rmdir(dir) < 0 ? -errno : 0;
}

static int s_keep(const pb_value_t *entry, const char *keep_id)
{
    const char *id = NULL;
    pb_value_map_get_str(entry, "run_id", &id);
    return keep_id && id && strcmp(id, keep_id) == 0;
}

/* Removes entry's run; adds it to *removed and subtracts its bytes from *total. */
static void s_drop(pb_value_t *entry, int *removed, uint64_t *total)
{
    const char *path = NULL;
    uint64_t bytes = 0;
    pb_value_map_get_u64(entry, "bytes", &bytes);
    if (pb_value_map_get_str(entry, "path", &path) < 0 || s_remove_run(path) < 0)
        return;
    pb_value_map_put_bool(entry, "$removed", true);
    *total -= bytes < *total ? bytes : *total;
    (*removed)++;
}

/* A sealed segment retention may remove: its file, records, last ts and bytes (with its
 * rollups); gone once removed. */
typedef struct {
    char path[PATH_MAX];
    uint64_t records, last_ts, bytes;
    bool gone;
} s_sealed_t;

/* The sealed segments of the runs retention keeps, listed once for both its steps. */
typedef struct {
    s_sealed_t *at;
    size_t n, cap;
    bool listed;
} s_sealed_list_t;

/* Appends dir's sealed segments to l. */
static void s_list_dir(const char *dir, s_sealed_list_t *l)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        size_t len = strlen(e->d_name);
        pb_sealed_info_t info;
        struct stat st;
        if (!pb_run_is_segment_name(e->d_name) || strcmp(e->d_name + len - 4, ".pbz") != 0 ||
            s_join(path, sizeof path, dir, e->d_name) < 0 || pb_sealed_info(path, &info) < 0 ||
            pb_grow((void **)&l->at, &l->cap, l->n, sizeof *l->at, 64) < 0)
            continue;
        s_sealed_t *s = &l->at[l->n++];
        *s = (s_sealed_t){
            .records = info.records, .last_ts = info.last_ts, .bytes = info.disk_bytes};
        memcpy(s->path, path, sizeof path);
        memcpy(path + strlen(path) - 4, ".pbr", 4); /* its rollups count too */
        s->bytes += stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    }
    if (d)
        closedir(d);
}

/* l, listed from the runs of list not removed whole, the first time it is asked for. */
static s_sealed_list_t *s_sealed(s_sealed_list_t *l, const pb_value_t *list)
{
    for (size_t i = 0; !l->listed && i < pb_value_len(list); i++) {
        const pb_value_t *entry = pb_value_array_at(list, i);
        const char *path = NULL;
        if (!pb_value_map_get(entry, "$removed") && pb_value_map_get_str(entry, "path", &path) == 0)
            s_list_dir(path, l);
    }
    l->listed = true;
    return l;
}

/* Unlinks s and its rollups; false when s is gone already (or its run was removed whole). */
static bool s_remove_sealed(s_sealed_t *s)
{
    if (s->gone || unlink(s->path) < 0)
        return false;
    memcpy(s->path + strlen(s->path) - 4, ".pbr", 4);
    unlink(s->path);
    s->gone = true;
    return true;
}

/* Subtracts what s held on disk from *total (the store's size the size step goes by). */
static void s_forget_bytes(const s_sealed_t *s, uint64_t *total)
{
    *total -= s->bytes < *total ? s->bytes : *total;
}

/* Removes the sealed segments whose last record is older than cutoff_ns (their index says
 * when): a long run (the one being recorded too) so keeps only its last days. */
static void s_retain_segments(s_sealed_list_t *l, uint64_t cutoff_ns, uint64_t *total, int *removed)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->at[i].records > 0 && l->at[i].last_ts < cutoff_ns && s_remove_sealed(&l->at[i])) {
            s_forget_bytes(&l->at[i], total);
            (*removed)++;
        }
}

static int s_by_last_ts(const void *a, const void *b)
{
    uint64_t x = ((const s_sealed_t *)a)->last_ts, y = ((const s_sealed_t *)b)->last_ts;
    return x < y ? -1 : x > y;
}

/* While the store is over keep_bytes with whole runs gone (the one being recorded is never
 * removed whole), removes sealed segments, oldest first, of every run left: a single long run
 * so keeps within the size too. The open segment is never removed. */
static void s_trim_segments(s_sealed_list_t *l, uint64_t keep_bytes, uint64_t *total, int *removed)
{
    qsort(l->at, l->n, sizeof *l->at, s_by_last_ts);
    for (size_t i = 0; i < l->n && (*total > keep_bytes); i++) {
        if (!s_remove_sealed(&l->at[i]))
            continue;
        s_forget_bytes(&l->at[i], total);
        (*removed)++;
    }
}

int pb_run_retain(const char *store, double keep_days, uint64_t keep_bytes, const char *keep_id)
{
    pb_value_t *list = NULL;
    int rc = pb_run_list_quick(store, &list);
    if (rc < 0)
        return rc;
    uint64_t total = 0, now = s_now_ns(), end = 0, b = 0;
    int removed = 0;
    for (size_t i = 0; i < pb_value_len(list); i++)
        total += pb_value_map_get_u64(pb_value_array_at(list, i), "bytes", &b) == 0 ? b : 0;
    for (size_t i = 0; keep_days > 0 && i < pb_value_len(list); i++) {
        pb_value_t *entry = pb_value_array_at(list, i);
        if (!s_keep(entry, keep_id) && pb_value_map_get_u64(entry, "end_ns", &end) == 0 &&
            end < now && (double)(now - end) > keep_days * 86400e9)
            s_drop(entry, &removed, &total);
    }
    s_sealed_list_t sealed = {0};
    if (keep_days > 0 && keep_days * 86400e9 < (double)now)
        s_retain_segments(s_sealed(&sealed, list), now - (uint64_t)(keep_days * 86400e9), &total,
                          &removed);
    for (size_t i = 0; keep_bytes > 0 && total > keep_bytes && i < pb_value_len(list); i++) {
        pb_value_t *entry = pb_value_array_at(list, i);
        if (!s_keep(entry, keep_id) && !pb_value_map_get(entry, "$removed"))
            s_drop(entry, &removed, &total);
    }
    if (keep_bytes > 0 && total > keep_bytes)
        s_trim_segments(s_sealed(&sealed, list), keep_bytes, &total, &removed);
    free(sealed.at);
    pb_value_destroy(&list);
    return removed;
}
