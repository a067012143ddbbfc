/* pb_sys_metric: what every system metric shares — the per-cycle file snapshot and counter series.
 */
#ifndef PB_SYS_METRIC_H
#define PB_SYS_METRIC_H

#include "pb_mpwrite.h"
#include "pb_procfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_SYS_FILES_MAX  12 /* distinct files one cycle may read */
#define PB_SYS_SERIES_MAX 12 /* counters one series may hold */

/* One sampling cycle, as every metric sees it. Each file is read at most once
 * per cycle (pb_sys_metric_file) and shared by the metrics that need it. */
typedef struct {
    const char *root;          /* "" or "/" for the real system */
    uint32_t gen;              /* +1 per cycle */
    bool first;                /* no previous cycle: no rates anywhere */
    double interval_s;         /* seconds since the previous cycle; 0 when first */
    uint64_t mono_ns;          /* the cycle's time, which stamps the process listing */
    pb_procfs_pidlist_t *pids; /* the listing of <root>/proc, shared with the process sampler */
    struct {
        char rel[40];
        pb_procfs_buf_t buf;
        bool loaded;
        int fd_plus_1; /* kept open across cycles (pread is cheaper than open+close); 0 = none */
    } files[PB_SYS_FILES_MAX];
    char *err;
    size_t errlen;
} pb_sys_ctx_t;

/* A system metric: one file under publisher/ and one line in the sampler's
 * table. keys() resolves the catalogue fields the metric writes, once per
 * process before any sample (the sampler runs every metric's under one
 * pthread_once), failing with -ENOENT and the missing path in err. sample()
 * writes the metric's keys into the body map open in w; on failure it
 * returns a negative errno and writes a message with pb_sys_metric_fail. The
 * sampler gives each metric state_size zeroed bytes and calls release() (may
 * be NULL) to free what the state holds. */
typedef struct {
    const char *name;
    size_t state_size;
    int (*keys)(char *err, size_t errlen);
    int (*sample)(void *state, pb_sys_ctx_t *ctx, pb_mpwrite_t *w);
    void (*release)(void *state);
} pb_sys_metric_t;

/* The counters of one named series (a core, a disk, an interface) at the
 * previous cycle. A series whose counters go backwards starts over. */
typedef struct {
    char name[40];
    uint64_t prev[PB_SYS_SERIES_MAX];
    uint32_t gen;
} pb_sys_series_t;

typedef struct {
    pb_sys_series_t *items;
    size_t n;
    size_t cap;
    size_t hint; /* where the next lookup starts: files list series in a stable order */
} pb_sys_series_set_t;

/* Returns the text of <root>/<rel> for this cycle (borrowed from ctx, valid
 * until the next cycle), reading the file only on the first request. On
 * failure returns a negative errno with "<rel>: <reason>" in ctx->err. */
int pb_sys_metric_file(pb_sys_ctx_t *ctx, const char *rel, const char **text_p);

/* Closes the files kept open across cycles. This function can't fail. */
void pb_sys_metric_close_files(pb_sys_ctx_t *ctx);

/* Writes a formatted message into ctx->err and returns rc. */
int pb_sys_metric_fail(pb_sys_ctx_t *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails with -EINVAL and "<rel>: malformed line '<start of line>'". */
int pb_sys_metric_bad_line(pb_sys_ctx_t *ctx, const char *rel, const char *line);

/* Records cur[0..n) (n <= PB_SYS_SERIES_MAX) as the counters of series name.
 * Returns 1 and fills delta[] when rates can be computed (previous cycle had
 * this series, no counter went backwards, interval > 0), 0 when this is the
 * first sample of the series, or -ENOMEM / -EINVAL. */
int pb_sys_metric_delta(pb_sys_ctx_t *ctx, pb_sys_series_set_t *set, const char *name,
                        const uint64_t *cur, size_t n, uint64_t *delta);

/* Forgets the series not recorded in this cycle. */
void pb_sys_metric_sweep(const pb_sys_ctx_t *ctx, pb_sys_series_set_t *set);

/* Frees the set's memory. */
void pb_sys_metric_release(pb_sys_series_set_t *set);

#define PB_SYS_STATE_MAX 8 /* rates or counters of one state map */

/* The keys of one state map of a device section: its total, or an item of its list. */
typedef struct {
    const pb_catalog_field_t *name; /* NULL in the total */
    const pb_catalog_field_t *rates[PB_SYS_STATE_MAX];
    const pb_catalog_field_t *counters[PB_SYS_STATE_MAX];
} pb_sys_state_keys_t;

/* The keys of a section made of a total and a list of named devices (disk, net). */
typedef struct {
    const pb_catalog_field_t *section, *total_map, *list;
    pb_sys_state_keys_t total, item;
} pb_sys_section_keys_t;

/* Resolves `section` ("disk"), its map "total" and its list (`list`, "devices"), and in
 * both the rates and counters named (each at most PB_SYS_STATE_MAX), and the items' "name".
 * Returns 0 or pb_mpwrite_resolve's error, in err. */
int pb_sys_metric_section_keys(const char *section, const char *list, const char *const *rates,
                               size_t nrates, const char *const *counters, size_t ncounters,
                               pb_sys_section_keys_t *out, char *err, size_t errlen);

/* Writes keys[i] = vals[i] as unsigned integers. Returns pb_mpwrite's status. */
int pb_sys_metric_put_u64s(pb_mpwrite_t *w, const pb_catalog_field_t *const *keys,
                           const uint64_t *vals, size_t n);

/* Writes keys[i] = delta[i] * scale / interval_s as floats. Returns pb_mpwrite's status. */
int pb_sys_metric_put_rates(pb_mpwrite_t *w, const pb_catalog_field_t *const *keys,
                            const uint64_t *delta, size_t n, double scale, double interval_s);

#endif
