/* pb_sys_metric: what every system metric shares — the per-cycle file snapshot and counter series.
 */
#include "pb_sys_metric.h"

#include "pb_grow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pb_sys_metric_fail(pb_sys_ctx_t *ctx, int rc, const char *fmt, ...)
{
    if (ctx->err && ctx->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int pb_sys_metric_bad_line(pb_sys_ctx_t *ctx, const char *rel, const char *line)
{
    int len = (int)strcspn(line, "\n");
    return pb_sys_metric_fail(ctx, -EINVAL, "%s: malformed line '%.*s'", rel, len > 60 ? 60 : len,
                              line);
}

/* The slot already holding rel (loaded or not), else a free one, else NULL. */
static int s_file_slot(const pb_sys_ctx_t *ctx, const char *rel)
{
    int free_slot = -1;
    for (int i = 0; i < PB_SYS_FILES_MAX; i++) {
        if (strcmp(ctx->files[i].rel, rel) == 0)
            return i;
        if (free_slot < 0 && ctx->files[i].rel[0] == '\0')
            free_slot = i;
    }
    return free_slot;
}

/* Files the kernel writes in one piece (single_open): a short read is their
 * end. The others (diskstats, net/dev) are seq_file records: pb_procfs_reread. */
static bool s_one_piece(const char *rel)
{
    static const char *const one_piece[] = {"proc/stat", "proc/meminfo", "proc/loadavg",
                                            "proc/uptime"};
    for (size_t i = 0; i < sizeof one_piece / sizeof one_piece[0]; i++) {
        if (strcmp(rel, one_piece[i]) == 0)
            return true;
    }
    return false;
}

/* Reads slot i. Files of a real procfs are kept open and re-read with
 * pread (their text is produced anew on each read from 0); other files,
 * such as captured fixture trees that tests swap, are opened every cycle.
 * A failed read on a kept fd is retried once on a fresh open. */
static int s_file_read(pb_sys_ctx_t *ctx, int i)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = ctx->files[i].fd_plus_1 - 1;
        if (fd < 0 && (fd = pb_procfs_open(ctx->root, ctx->files[i].rel)) < 0)
            return fd;
        pb_procfs_buf_t *buf = &ctx->files[i].buf;
        int rc = s_one_piece(ctx->files[i].rel) ? pb_procfs_pread_all(fd, buf)
                                                : pb_procfs_reread(fd, buf);
        if (rc == 0 && !ctx->files[i].fd_plus_1 && pb_procfs_is_procfs(fd)) {
            ctx->files[i].fd_plus_1 = fd + 1;
            return 0;
        }
        if (!ctx->files[i].fd_plus_1)
            close(fd);
        if (rc == 0 || attempt == 1)
            return rc;
        pb_sys_metric_close_files(ctx);
    }
    return 0;
}

void pb_sys_metric_close_files(pb_sys_ctx_t *ctx)
{
    for (int i = 0; i < PB_SYS_FILES_MAX; i++) {
        if (ctx->files[i].fd_plus_1)
            close(ctx->files[i].fd_plus_1 - 1);
        ctx->files[i].fd_plus_1 = 0;
    }
}

int pb_sys_metric_file(pb_sys_ctx_t *ctx, const char *rel, const char **text_p)
{
    int i = s_file_slot(ctx, rel);
    if (i < 0 || strlen(rel) >= sizeof ctx->files[i].rel)
        return pb_sys_metric_fail(ctx, -ENOBUFS, "%s: too many files in one cycle", rel);
    if (!ctx->files[i].loaded) {
        snprintf(ctx->files[i].rel, sizeof ctx->files[i].rel, "%s", rel);
        int rc = s_file_read(ctx, i);
        if (rc < 0)
            return pb_sys_metric_fail(ctx, rc, "%s: %s", rel, strerror(-rc));
        ctx->files[i].loaded = true;
    }
    *text_p = ctx->files[i].buf.data;
    return 0;
}

static pb_sys_series_t *s_series_find(pb_sys_series_set_t *set, const char *name)
{
    for (size_t k = 0; k < set->n; k++) {
        size_t i = (set->hint + k) % set->n;
        if (strcmp(set->items[i].name, name) == 0) {
            set->hint = i + 1;
            return &set->items[i];
        }
    }
    return NULL;
}

static pb_sys_series_t *s_series_add(pb_sys_series_set_t *set, const char *name)
{
    if (pb_grow((void **)&set->items, &set->cap, set->n, sizeof *set->items, 8) < 0)
        return NULL;
    pb_sys_series_t *s = &set->items[set->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static bool s_went_back(const uint64_t *prev, const uint64_t *cur, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cur[i] < prev[i])
            return true;
    }
    return false;
}

int pb_sys_metric_delta(pb_sys_ctx_t *ctx, pb_sys_series_set_t *set, const char *name,
                        const uint64_t *cur, size_t n, uint64_t *delta)
{
    if (n > PB_SYS_SERIES_MAX)
        return -EINVAL;
    pb_sys_series_t *s = s_series_find(set, name);
    bool had = s && s->gen + 1 == ctx->gen;
    if (!s)
        s = s_series_add(set, name);
    if (!s)
        return -ENOMEM;
    bool rates = had && !ctx->first && ctx->interval_s > 0 && !s_went_back(s->prev, cur, n);
    for (size_t i = 0; i < n; i++) {
        if (rates)
            delta[i] = cur[i] - s->prev[i];
        s->prev[i] = cur[i];
    }
    s->gen = ctx->gen;
    return rates ? 1 : 0;
}

void pb_sys_metric_sweep(const pb_sys_ctx_t *ctx, pb_sys_series_set_t *set)
{
    size_t kept = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i].gen == ctx->gen)
            set->items[kept++] = set->items[i];
    }
    set->n = kept;
    set->hint = 0;
}

void pb_sys_metric_release(pb_sys_series_set_t *set)
{
    free(set->items);
    memset(set, 0, sizeof *set);
}

int pb_sys_metric_put_u64s(pb_mpwrite_t *w, const pb_catalog_field_t *const *keys,
                           const uint64_t *vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pb_mpwrite_uint(w, keys[i], vals[i]);
    return pb_mpwrite_status(w);
}

int pb_sys_metric_put_rates(pb_mpwrite_t *w, const pb_catalog_field_t *const *keys,
                            const uint64_t *delta, size_t n, double scale, double interval_s)
{
    for (size_t i = 0; i < n; i++)
        pb_mpwrite_float(w, keys[i], (double)delta[i] * scale / interval_s);
    return pb_mpwrite_status(w);
}

static int s_state_keys(const char *parent, const char *const *rates, size_t nrates,
                        const char *const *counters, size_t ncounters, pb_sys_state_keys_t *k,
                        bool item, char *err, size_t errlen)
{
    static const char *const name[] = {"name"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, parent, rates, nrates, k->rates, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, parent, counters, ncounters, k->counters, err, errlen);
    if (rc == 0 && item)
        rc = pb_mpwrite_resolve(PB_FT_SYS, parent, name, 1, &k->name, err, errlen);
    return rc;
}

int pb_sys_metric_section_keys(const char *section, const char *list, const char *const *rates,
                               size_t nrates, const char *const *counters, size_t ncounters,
                               pb_sys_section_keys_t *out, char *err, size_t errlen)
{
    if (nrates > PB_SYS_STATE_MAX || ncounters > PB_SYS_STATE_MAX) {
        snprintf(err, errlen, "%s: more than %d keys per state map", section, PB_SYS_STATE_MAX);
        return -E2BIG;
    }
    const char *top[] = {section}, *sub[] = {"total", list};
    const pb_catalog_field_t *maps[2];
    char total[64], items[64];
    snprintf(total, sizeof total, "%s.total", section);
    snprintf(items, sizeof items, "%s.%s", section, list);
    memset(out, 0, sizeof *out);
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 1, &out->section, err, errlen);
    rc = rc ? rc : pb_mpwrite_resolve(PB_FT_SYS, section, sub, 2, maps, err, errlen);
    rc = rc ? rc
            : s_state_keys(total, rates, nrates, counters, ncounters, &out->total, false, err,
                           errlen);
    rc =
        rc ? rc
           : s_state_keys(items, rates, nrates, counters, ncounters, &out->item, true, err, errlen);
    out->total_map = maps[0];
    out->list = maps[1];
    return rc;
}
