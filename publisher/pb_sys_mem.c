/* pb_sys_mem: memory and swap from /proc/meminfo, with the definitions of free(1) (procps-ng 4). */
#include "pb_sys_mem.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *key; /* with the colon */
    size_t offset;
} s_field_t;

static const s_field_t s_fields[] = {
    {"MemTotal:", offsetof(pb_sys_mem_t, total)},
    {"MemFree:", offsetof(pb_sys_mem_t, free)},
    {"MemAvailable:", offsetof(pb_sys_mem_t, available)},
    {"Buffers:", offsetof(pb_sys_mem_t, buffers)},
    {"Cached:", offsetof(pb_sys_mem_t, cached)},
    {"SReclaimable:", offsetof(pb_sys_mem_t, sreclaimable)},
    {"Shmem:", offsetof(pb_sys_mem_t, shmem)},
    {"SwapTotal:", offsetof(pb_sys_mem_t, swap_total)},
    {"SwapFree:", offsetof(pb_sys_mem_t, swap_free)},
    {"SwapCached:", offsetof(pb_sys_mem_t, swap_cached)},
    {"Slab:", offsetof(pb_sys_mem_t, slab)},
    {"PageTables:", offsetof(pb_sys_mem_t, page_tables)},
    {"HardwareCorrupted:", offsetof(pb_sys_mem_t, hw_corrupted)},
};

#define S_NFIELDS (sizeof s_fields / sizeof s_fields[0])
_Static_assert(PB_SYS_MEM_HAS_HW_CORRUPTED == 1u << (S_NFIELDS - 1),
               "PB_SYS_MEM_HAS_* out of step");

/* Parses "<spaces><number> kB" into bytes. */
static int s_parse_kb(const char *p, uint64_t *bytes)
{
    uint64_t kb;
    if (pb_procfs_next_u64(&p, &kb) < 0 || kb > UINT64_MAX / 1024)
        return -EINVAL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "kB", 2) != 0 || (p[2] != '\n' && p[2] != '\0'))
        return -EINVAL;
    *bytes = kb * 1024;
    return 0;
}

/* Parses the line if it holds one of s_fields; sets the bit of the field in *seen. */
static int s_parse_line(const char *line, pb_sys_mem_t *out, unsigned *seen)
{
    for (size_t i = 0; i < S_NFIELDS; i++) {
        size_t klen = strlen(s_fields[i].key);
        if (line[0] != s_fields[i].key[0] || strncmp(line, s_fields[i].key, klen) != 0)
            continue;
        *seen |= 1u << i;
        return s_parse_kb(line + klen, (uint64_t *)((char *)out + s_fields[i].offset));
    }
    return 0;
}

int pb_sys_mem_parse(const char *text, pb_sys_mem_t *out)
{
    memset(out, 0, sizeof *out);
    unsigned seen = 0;
    unsigned all = (1u << S_NFIELDS) - 1;
    for (const char *line = text; line && seen != all; line = pb_procfs_next_line(line)) {
        if (s_parse_line(line, out, &seen) < 0)
            return -EINVAL;
    }
    out->seen = seen;
    if ((seen & 3u) != 3u || out->total == 0)
        return -EINVAL; /* MemTotal and MemFree are the first two fields */
    /* MemFree above MemTotal is no real machine's: clamp it rather than publish
     * more free (and, by the fallback below, available) memory than there is */
    if (out->free > out->total)
        out->free = out->total;
    if (!(seen & 4u) || out->available > out->total)
        out->available = out->free;
    return 0;
}

uint64_t pb_sys_mem_used(const pb_sys_mem_t *mem)
{
    if (mem->total >= mem->available)
        return mem->total - mem->available;
    return mem->total >= mem->free ? mem->total - mem->free : 0;
}

#define S_NKEYS 11
#define S_NOPT  6
static const pb_catalog_field_t *s_top[1]; /* mem */
static const pb_catalog_field_t *s_k[S_NKEYS];
static const pb_catalog_field_t *s_opt_k[S_NOPT]; /* node_exporter's lines, when present */
static const unsigned s_opt_bit[S_NOPT] = {PB_SYS_MEM_HAS_CACHED,      PB_SYS_MEM_HAS_SWAP_CACHED,
                                           PB_SYS_MEM_HAS_SLAB,        PB_SYS_MEM_HAS_SRECLAIMABLE,
                                           PB_SYS_MEM_HAS_PAGE_TABLES, PB_SYS_MEM_HAS_HW_CORRUPTED};

static int s_keys(char *err, size_t errlen)
{
    static const char *const top[] = {"mem"};
    static const char *const names[S_NKEYS] = {
        "total_bytes",     "available_bytes", "used_bytes",   "free_bytes",
        "buffers_bytes",   "cached_bytes",    "shared_bytes", "swap_total_bytes",
        "swap_free_bytes", "swap_used_bytes", "used_pct"};
    static const char *const opt[S_NOPT] = {"page_cache_bytes",  "swap_cached_bytes",
                                            "slab_bytes",        "sreclaimable_bytes",
                                            "page_tables_bytes", "hardware_corrupted_bytes"};
    int rc = pb_mpwrite_resolve(PB_FT_SYS, "", top, 1, s_top, err, errlen);
    if (rc == 0)
        rc = pb_mpwrite_resolve(PB_FT_SYS, "mem", opt, S_NOPT, s_opt_k, err, errlen);
    return rc < 0 ? rc : pb_mpwrite_resolve(PB_FT_SYS, "mem", names, S_NKEYS, s_k, err, errlen);
}

/* Cached, SwapCached, Slab, SReclaimable, PageTables, HardwareCorrupted alone, as found. */
static void s_put_lines(pb_mpwrite_t *w, const pb_sys_mem_t *m)
{
    uint64_t vals[S_NOPT] = {m->cached,       m->swap_cached, m->slab,
                             m->sreclaimable, m->page_tables, m->hw_corrupted};
    for (size_t i = 0; i < S_NOPT; i++)
        if (m->seen & s_opt_bit[i])
            pb_mpwrite_uint(w, s_opt_k[i], vals[i]);
}

static void s_put_all(pb_mpwrite_t *w, const pb_sys_mem_t *m)
{
    uint64_t used = pb_sys_mem_used(m);
    uint64_t swap_used = m->swap_total > m->swap_free ? m->swap_total - m->swap_free : 0;
    uint64_t vals[S_NKEYS - 1] = {
        m->total, m->available,  used,         m->free,  m->buffers, m->cached + m->sreclaimable,
        m->shmem, m->swap_total, m->swap_free, swap_used};
    pb_mpwrite_map(w, s_top[0]);
    pb_sys_metric_put_u64s(w, s_k, vals, S_NKEYS - 1);
    pb_mpwrite_float(w, s_k[S_NKEYS - 1], (double)used * 100.0 / (double)m->total);
    s_put_lines(w, m);
    pb_mpwrite_end(w);
}

static int s_sample(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w)
{
    (void)state;
    const char *text;
    int rc = pb_sys_metric_file(ctx, "proc/meminfo", &text);
    if (rc < 0)
        return rc;
    pb_sys_mem_t mem;
    if (pb_sys_mem_parse(text, &mem) < 0)
        return pb_sys_metric_fail(ctx, -EINVAL,
                                  "proc/meminfo: malformed (need MemTotal and MemFree in kB)");
    s_put_all(w, &mem);
    return pb_mpwrite_status(w);
}

const pb_sys_metric_t pb_sys_mem_metric = {"mem", 0, s_keys, s_sample, NULL};
